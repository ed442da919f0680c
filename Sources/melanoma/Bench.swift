import ArgumentParser

/// Benchmarks against the python reference, measured in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks against the python reference (same machine, same run).",
        subcommands: [BenchAugment.self, BenchModels.self]
    )
}
