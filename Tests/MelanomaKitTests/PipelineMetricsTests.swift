import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

/// Reads a small numeric CSV written by a reference script: header, then comma-separated fields.
func readReferenceCSV(_ url: URL) throws -> (header: [String], rows: [[String]]) {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
    return (header, lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
}

func parseDouble(_ s: String, _ context: String) throws -> Double {
    guard let v = Double(s) else { throw RunError("\(context): '\(s)' is not a number") }
    return v
}

/// "name,value" lines.
func readKeyValues(_ url: URL) throws -> [(String, String)] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
        let parts = line.split(separator: ",", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }
}

@Suite("Pipeline metrics vs scikit-learn / pandas / numpy")
struct PipelineMetricsTests {
    @Test func aucAndRanksMatchReference() throws {
        let dir = try Reference.temporaryDirectory("pipeline-metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("pipeline_metrics.py", [dir.path])

        let cases = try readKeyValues(dir.appendingPathComponent("auc.txt"))
        #expect(cases.count >= 10)
        for (name, expected) in cases {
            let (_, rows) = try readReferenceCSV(dir.appendingPathComponent("auc_\(name).csv"))
            let labels = rows.map { $0[0] == "1" }
            let scores = try rows.map { try parseDouble($0[1], "\(name) score") }
            let ranks = try rows.map { try parseDouble($0[2], "\(name) pct_rank") }

            // pandas rank(pct=True): tolerance 1e-9 absolute (both divide the same averages).
            let ours = Metrics.percentileRank(scores)
            let worst = zip(ours, ranks).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-9, "percentile rank diverged from pandas on case \(name): max |diff| \(worst)")

            if expected == "undefined" {
                #expect(throws: RunError.self, "case \(name): one class only must be an error") {
                    try Metrics.rocAUC(labels: labels, scores: scores)
                }
                do { _ = try Metrics.rocAUC(labels: labels, scores: scores, what: "auc_20") } catch {
                    #expect("\(error)".contains("only one class"), "message was: \(error)")
                    #expect("\(error)".hasPrefix("auc_20"), "message should name the metric: \(error)")
                }
            } else {
                let want = try parseDouble(expected, "\(name) auc")
                let got = try Metrics.rocAUC(labels: labels, scores: scores)
                // sklearn sums normalised trapezoids, we sum integer counts: 1e-12 absolute.
                #expect(abs(got - want) <= 1e-12, "ROC AUC diverged from sklearn on case \(name): \(got) vs \(want)")
            }
        }

        let (_, nanRows) = try readReferenceCSV(dir.appendingPathComponent("rank_nan.csv"))
        let values = try nanRows.map { try parseDouble($0[0], "rank_nan value") }
        let want = try nanRows.map { try parseDouble($0[1], "rank_nan pct_rank") }
        let got = Metrics.percentileRank(values)
        for i in values.indices {
            if want[i].isNaN {
                #expect(got[i].isNaN, "rank_nan row \(i): NaN must stay NaN, got \(got[i])")
            } else {
                #expect(abs(got[i] - want[i]) <= 1e-9, "rank_nan row \(i): \(got[i]) vs pandas \(want[i])")
            }
        }
    }

    @Test func accuracyMatchesNumpy() throws {
        let dir = try Reference.temporaryDirectory("pipeline-acc")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("pipeline_metrics.py", [dir.path])
        let cases = try readKeyValues(dir.appendingPathComponent("acc.txt"))
        #expect(cases.count == 2)
        for (name, expected) in cases {
            let (header, rows) = try readReferenceCSV(dir.appendingPathComponent("acc_\(name).csv"))
            let k = header.count - 1
            let targets = rows.map { Int($0[0]) ?? -1 }
            let probs = try rows.flatMap { try $0.dropFirst().map { try parseDouble($0, "\(name) prob") } }
            let got = try Metrics.accuracy(probabilities: probs, classes: k, targets: targets)
            let want = try parseDouble(expected, "\(name) acc")
            #expect(abs(got - want) <= 1e-12, "accuracy diverged from numpy on case \(name): \(got) vs \(want)")
        }
    }

    @Test func errorsAreClear() throws {
        #expect(throws: RunError.self) { try Metrics.rocAUC(labels: [true, false], scores: [0.1]) }
        #expect(throws: RunError.self) { try Metrics.rocAUC(labels: [true, false], scores: [0.1, .nan]) }
        #expect(throws: RunError.self) { try Metrics.accuracy(probabilities: [0.1, 0.9, 0.3], classes: 2, targets: [1, 0]) }
        // Ranks within groups equal ranks computed on each group alone.
        let v = [0.3, 0.1, 0.3, 0.9, 0.2, 0.2]
        let g = [0, 1, 0, 1, 0, 1]
        let r = try Metrics.percentileRank(v, groups: g)
        let want: [Double] = [2.5 / 3, 1.0 / 3, 2.5 / 3, 1.0, 1.0 / 3, 2.0 / 3]
        #expect(r == want)
    }
}
