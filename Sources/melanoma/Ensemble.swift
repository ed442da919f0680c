import ArgumentParser
import Foundation
import MelanomaKit

/// ensemble.py: equal-weight (or weighted) mean of per-submission percentile ranks.
struct Ensemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Average the percentile ranks of several submissions (image_name,target) into one.",
        discussion: """
        As the original's ensemble.py: each submission's target is replaced by its percentile rank \
        (pandas rank(pct=True)), and the ranks are averaged with equal weights (or --weights). \
        Rows are joined on image_name and written in the first file's order; files holding \
        different images are an error. Without FILES, every *csv in --sub-dir is used, sorted by name.
        """
    )

    @Argument(help: "Submission CSVs (image_name,target). Default: every *csv in --sub-dir.")
    var files: [String] = []

    @Option(name: .flag("--sub-dir"), help: "Folder of submissions used when no FILES are given (default ./subs).")
    var subDir: String?

    @Option(name: .flag("--weights"), help: "Comma-separated weight per submission, in file order; divided by their sum.")
    var weights: String?

    @Option(name: .flag("--out"), help: "Where to write the ensemble.")
    var out: String = "final_sub1.csv"

    @OptionGroup var weighting: EnsembleWeighting  // --oof-dir, --optimize, --weights-out, --weights-file

    func run() throws { try reportingErrors("ensemble") { try body() } }

    func body() throws {
        if weighting.optimize { return try weighting.runOptimize() }
        let output = URL(fileURLWithPath: out)
        let inputs: [URL]
        if !files.isEmpty {
            if subDir != nil { throw ValidationError("give submission files or --sub-dir, not both") }
            inputs = files.map { URL(fileURLWithPath: $0) }
        } else {
            let dir = URL(fileURLWithPath: subDir ?? "./subs", isDirectory: true)
            inputs = try RankEnsemble.submissionFiles(in: dir, excluding: output)
            if inputs.isEmpty { throw ValidationError("no *csv files in \(dir.path)") }
        }
        if weights != nil && weighting.weightsFile != nil { throw ValidationError("give --weights or --weights-file, not both") }
        let w = try weights.map { try RankEnsemble.parseWeights($0, count: inputs.count) } ?? weighting.fileWeights(for: inputs)
        let result = try RankEnsemble.run(files: inputs, weights: w, output: output)
        let shown = w.map { ws in ws.map { $0 / ws.reduce(0, +) } }
            ?? [Double](repeating: 1.0 / Double(inputs.count), count: inputs.count)
        for (weight, f) in zip(shown, inputs) { print("  " + String(format: "%.4f", weight) + "  " + f.path) }
        print("ensembled \(inputs.count) submission(s), \(result.count) images -> \(output.path)")
    }
}
