import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline rank ensemble vs pandas (ensemble.py)")
struct PipelineEnsembleTests {
    func compare(_ got: Submission, _ want: Submission, _ what: String) {
        #expect(got.imageNames == want.imageNames, "\(what): row order differs from the first file's")
        let worst = zip(got.targets, want.targets).map { abs($0 - $1) }.max() ?? 0
        // Same operations in the same order as numpy: 1e-12 absolute.
        #expect(worst <= 1e-12, "\(what): mean percentile rank diverged from pandas, max |diff| \(worst)")
    }

    @Test func equalAndWeightedMatchPandas() throws {
        let dir = try Reference.temporaryDirectory("pipeline-ensemble")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("pipeline_ensemble.py", [dir.path])
        let out = dir.appendingPathComponent("final_sub1.csv")
        let files = try RankEnsemble.submissionFiles(in: dir.appendingPathComponent("subs"), excluding: out)
        #expect(files.count == 5)
        #expect(files.first?.lastPathComponent == "sub_4c_b5ns_1.5e_640_ext_15ep_best.csv", "sorted as Python's sorted(glob)")

        try RankEnsemble.run(files: files, output: out)
        compare(try Submission.read(out), try Submission.read(dir.appendingPathComponent("expected_equal.csv")), "equal weights")

        let w = try RankEnsemble.parseWeights("2,1,1,0.5,3", count: files.count)
        try RankEnsemble.run(files: files, weights: w, output: out)
        compare(try Submission.read(out), try Submission.read(dir.appendingPathComponent("expected_weighted.csv")),
                "weights 2,1,1,0.5,3")

        // Differing image sets: the message names both files and an image found in only one.
        let bad = dir.appendingPathComponent("bad")
        do {
            try RankEnsemble.run(files: [bad.appendingPathComponent("a.csv"), bad.appendingPathComponent("b.csv")],
                                 output: dir.appendingPathComponent("x.csv"))
            Issue.record("differing image sets were accepted")
        } catch {
            let m = "\(error)"
            #expect(m.contains("a.csv") && m.contains("b.csv") && m.contains("ISIC_"), "unclear message: \(m)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.csv").path))
    }

    @Test func weightsAreValidated() throws {
        #expect(throws: RunError.self) { try RankEnsemble.parseWeights("1,2", count: 3) }
        #expect(throws: RunError.self) { try RankEnsemble.parseWeights("1,x,2", count: 3) }
        #expect(throws: RunError.self) { try RankEnsemble.parseWeights("1,-1,2", count: 3) }
        #expect(throws: RunError.self) { try RankEnsemble.parseWeights("0,0", count: 2) }
        #expect(try RankEnsemble.parseWeights(" 1, 2 ", count: 2) == [1, 2])
    }

    @Test func joinsOnImageName() throws {
        let a = Submission(imageNames: ["x", "y", "z"], targets: [0.1, 0.5, 0.9])
        let b = Submission(imageNames: ["z", "x", "y"], targets: [0.2, 0.3, 0.1])
        let e = try RankEnsemble.combine([("a", a), ("b", b)])
        #expect(e.imageNames == ["x", "y", "z"])
        // a ranks 1/3, 2/3, 1; b ranks (by name) x 1, y 1/3, z 2/3
        let want = [0.5 * (1.0 / 3) + 0.5 * 1, 0.5 * (2.0 / 3) + 0.5 * (1.0 / 3), 0.5 * 1 + 0.5 * (2.0 / 3)]
        #expect(zip(e.targets, want).allSatisfy { abs($0 - $1) < 1e-15 })
    }
}
