import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline OOF scores vs evaluate.py (pandas + scikit-learn)")
struct PipelineOOFTests {
    @Test func fourAUCsAndLogBlock() throws {
        let dir = try Reference.temporaryDirectory("pipeline-oof-scores")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("pipeline_oof.py", [dir.path])
        // The pandas-written CSV reads through our OOF reader.
        let rows = try OOFFile.read(dir.appendingPathComponent("oof.csv"))
        #expect(rows.count == 6000 && rows.first?.fold == 0 && rows.last?.fold == 4)
        let got = try OOFScores.compute(rows)
        let want = Dictionary(uniqueKeysWithValues: try readKeyValues(dir.appendingPathComponent("scores.txt")).map {
            ($0.0, try parseDouble($0.1, $0.0))
        })
        for (name, value) in [("auc_all_raw", got.aucAllRaw), ("auc_all_rank", got.aucAllRank),
                              ("auc_20_raw", got.aucTwentyRaw), ("auc_20_rank", got.aucTwentyRank)] {
            let w = want[name] ?? .nan
            #expect(abs(value - w) <= 1e-12, "\(name) diverged from evaluate.py: \(value) vs \(w)")
        }
        #expect(got.aucAllRaw != got.aucAllRank, "the fixture should make ranking matter")

        // evaluate.py appends content + '\n'; TrainLog.append adds the second newline.
        let log = TrainLog(logDir: dir.appendingPathComponent("logs"), kernelType: "k")
        try log.append(TrainLog.evalBlock(eval: "best", scores: got))
        #expect(try String(contentsOf: log.url, encoding: .utf8)
            == String(contentsOf: dir.appendingPathComponent("block.txt"), encoding: .utf8))
    }

    @Test func oneClassFoldSubsetIsAnError() {
        let rows = [OOFPrediction(imageName: "a", fold: 0, isExt: false, target: 0, pred: 0.1),
                    OOFPrediction(imageName: "b", fold: 0, isExt: true, target: 1, pred: 0.9)]
        do { _ = try OOFScores.compute(rows); Issue.record("accepted") } catch {
            #expect("\(error)".hasPrefix("auc_20_raw"), "\(error)")
        }
    }
}
