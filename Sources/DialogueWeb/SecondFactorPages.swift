import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// The second factor (TOTP): the code that completes a sign-in, and setting one up — shown as
/// text to type into an authenticator app, since the portal draws nothing with a script.
extension PortalPages {
    func secondFactorPage(_ request: Request) async -> Response {
        await visit(request, halfway: true) { visit in await secondFactorResponse(visit, problems: []) }
    }

    func confirmSecondFactor(_ request: Request) async -> Response {
        await action(request, halfway: true) { visit in
            do {
                let issued = try await dialogue.confirmSecondFactor(visit.session, code: visit.form["code"], requestID: context(visit.session).requestID)
                return redirect("/", cookie: sessionCookieValue(issued.secret))
            } catch DomainError.validation(let problems) {
                return await secondFactorResponse(visit, problems: problems, status: .unprocessableContent)
            } catch DomainError.conflict {
                return redirect("/")
            } catch {
                return failure(error, visit.language, nil)
            }
        }
    }

    /// A member or observer turns the second factor on from the profile; anyone moves to a new
    /// authenticator, after their passphrase or a current code (Core asks).
    func startSecondFactor(_ request: Request) async -> Response {
        await action(request) { visit in
            do {
                try await dialogue.startSecondFactorSetup(visit.session, passphrase: visit.form["passphrase"], code: visit.form["code"])
                return redirect("/second-factor")
            } catch DomainError.validation {
                return await profileFactorRefused(visit)
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func removeSecondFactor(_ request: Request) async -> Response {
        await action(request) { visit in
            do {
                try await dialogue.removeSecondFactor(
                    visit.session, requestID: context(visit.session).requestID, passphrase: visit.form["passphrase"], code: visit.form["code"])
                return redirect("/profile?notice=factor_removed")
            } catch DomainError.validation {
                return await profileFactorRefused(visit)
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    private func secondFactorResponse(
        _ visit: Visit, problems: [FieldError], status: HTTPResponse.Status = .ok
    ) async -> Response {
        let (session, language) = (visit.session, visit.language)
        guard session.factor != .none else { return redirect("/") }
        do {
            let setup = session.factor == .setup ? try await dialogue.secondFactorSetup(session) : nil
            return renderer.page("second-factor", SecondFactorPage(
                chrome: renderer.chrome(
                    language, title: setup == nil ? "factor_code_title" : "factor_setup_title", session: nil, path: "/signin"),
                factorCSRF: session.csrfToken, setup: setup.map {
                    FactorSetupView(secret: Self.grouped($0.secret), uri: $0.uri, required: AccountRules.requiresSecondFactor(session.role))
                },
                problems: FormProblems(problems, fields: ["code"], renderer.catalog(language))), status: status)
        } catch {
            return failure(error, language, nil)
        }
    }

    /// A base32 secret in groups of four, easier to type and to check.
    static func grouped(_ secret: String) -> String {
        stride(from: 0, to: secret.count, by: 4).map { offset in
            let start = secret.index(secret.startIndex, offsetBy: offset)
            return String(secret[start..<(secret.index(start, offsetBy: 4, limitedBy: secret.endIndex) ?? secret.endIndex)])
        }.joined(separator: " ")
    }
}

struct FactorSetupView: Sendable {
    var secret: String
    var uri: String
    /// Coordinators and admins must; members chose to.
    var required: Bool
}

struct SecondFactorPage: Sendable {
    var chrome: Chrome
    /// The forms' token (the layout draws no signed-in chrome, so its own `csrf` is empty for
    /// a session halfway in).
    var factorCSRF: String
    var setup: FactorSetupView?
    var problems: FormProblems
}
