import Crypto
import Foundation

/// Time-based one-time codes (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second steps,
/// 6 digits — what every authenticator app speaks.
public enum TOTP {
    public static let stepSeconds: Int64 = 30
    public static let digits = 6
    /// Codes of the step before and after the current one are accepted too (clock drift).
    public static let drift: Int64 = 1

    /// A new 160-bit secret (RFC 4226 recommends 160 bits).
    public static func newSecret() -> Data {
        SymmetricKey(size: .init(bitCount: 160)).withUnsafeBytes { Data($0) }
    }

    /// The time step a moment falls in.
    public static func step(at date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) / stepSeconds }

    /// The code of a step (HOTP with the step as counter), zero-padded.
    public static func code(secret: Data, step: Int64, digits: Int = TOTP.digits) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step whose code this is, within the drift around `date` and later than `usedStep`
    /// (a code works once); nil when none matches. Every candidate is compared in constant time.
    public static func matchingStep(_ given: String, secret: Data, at date: Date, after usedStep: Int64?) -> Int64? {
        let code = given.filter { !$0.isWhitespace }
        guard code.count == digits, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
        let now = step(at: date)
        var found: Int64?
        for candidate in (now - drift)...(now + drift) {
            if TokenSecret.constantTimeEquals(TOTP.code(secret: secret, step: candidate), code), candidate > (usedStep ?? Int64.min) {
                found = candidate
            }
        }
        return found
    }

    /// RFC 4648 base32 without padding, as authenticator apps take a secret typed in.
    public static func base32(_ data: Data) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var result = "", buffer: UInt32 = 0, bits = 0
        for byte in data {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                result.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { result.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return result
    }

    /// The bytes of a base32 text (spaces and case ignored); nil for anything else.
    public static func secret(base32 text: String) -> Data? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var result = Data(), buffer: UInt32 = 0, bits = 0
        for character in text.uppercased() where !character.isWhitespace && character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                result.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return result
    }

    /// The `otpauth://` address an app takes instead of the typed secret. It names no person:
    /// the label is the portal's name and the sign-in name the person chose.
    public static func uri(secret: Data, account: String, issuer: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        return "otpauth://totp/\(encode(issuer)):\(encode(account))?secret=\(base32(secret))&issuer=\(encode(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(stepSeconds)"
    }
}
