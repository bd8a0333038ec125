import ArgumentParser

@main
struct DialogueAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dialogue-admin",
        abstract: "Run and administer the dialogue service.",
        discussion: """
            With DATABASE_URL unset, every command uses the private PostgreSQL cluster of this \
            checkout (created and started on first use). Progress goes to stderr, results to stdout.
            """,
        subcommands: [
            Serve.self, Migrate.self, OrgCommand.self, ParticipantCommand.self, GroupCommand.self, TokenCommand.self,
            SessionCommand.self, AgendaCommand.self, ProposalCommand.self, ActionCommand.self, ExportCommand.self,
            VaultCommand.self, AuditCommand.self, EvidenceCommand.self, ReferenceCommand.self, DossierCommand.self, BackupCommand.self, RestoreCommand.self, SeedCommand.self,
        ]
    )
}
