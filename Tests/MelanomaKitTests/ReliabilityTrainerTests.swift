import Foundation
import NN
import Testing
import TestSupport
import Torch
@testable import MelanomaKit

/// The trainer's files: a fresh run leaves nothing of an earlier one, a resumed log does not repeat an epoch,
/// and no checkpoint holds NaN.
@Suite("Reliability: trainer files", .serialized) struct ReliabilityTrainerTests {
    func config(_ dir: URL, epochs: Int, resume: Bool = false) -> TrainerConfig {
        var c = TrainerConfig(kernelType: "tiny", fold: 1, nEpochs: epochs, initLR: 1e-3, imageSize: 128, melIdx: 1,
                              modelDir: dir.appendingPathComponent("weights"), logDir: dir.appendingPathComponent("logs"))
        c.resume = resume
        return c
    }

    @Test func freshRunRemovesAnEarlierRunsCheckpoints() throws {
        let dir = try Reference.temporaryDirectory("rel-fresh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = dir.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: w, withIntermediateDirectories: true)
        let stale = ["tiny_best_fold1.pth", "tiny_best_20_fold1.pth", "tiny_resume_fold1.json", "tiny_resume_fold1_epoch3.pth"]
        let kept = ["tiny_best_fold0.pth", "other_best_fold1.pth"]
        for n in stale + kept { try Data("old".utf8).write(to: w.appendingPathComponent(n)) }
        // Validation rows of one class (no melanoma): the AUC is never defined, so no best is written now.
        let train = try makeSource(rows: 32, classes: 3, seed: 1, batchSize: 16)
        let valid = try makeSource(rows: 16, classes: 1, seed: 2, batchSize: 16)
        LibTorch.manualSeed(1)
        _ = try Trainer(config: config(dir, epochs: 1), model: try TinyNet(classes: 3, nMeta: 2), train: train,
                        valid: valid, progress: false).run()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: w.path))
        #expect(files == Set(kept + ["tiny_final_fold1.pth", "tiny_resume_fold1.json"]))
    }

    @Test func resumedLogDoesNotRepeatAnEpoch() throws {
        let dir = try Reference.temporaryDirectory("rel-log")
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try makeSource(rows: 32, classes: 3, seed: 3, batchSize: 16)
        let valid = try makeSource(rows: 24, classes: 3, seed: 4, batchSize: 12)
        var stopping = config(dir, epochs: 3)
        stopping.stopAfterEpoch = 1
        LibTorch.manualSeed(5)
        _ = try Trainer(config: stopping, model: try TinyNet(classes: 3, nMeta: 2), train: train, valid: valid,
                        progress: false).run()
        // The kill came after epoch 2's log line and before its resume point.
        let log = TrainLog(logDir: dir.appendingPathComponent("logs"), kernelType: "tiny")
        try log.append(TrainLog.epochLine(fold: 1, epoch: 2, lr: 1, trainLoss: 1, validLoss: 1, acc: 0, auc: 0.5, auc20: 0.5))
        _ = try Trainer(config: config(dir, epochs: 3, resume: true), model: try TinyNet(classes: 3, nMeta: 2),
                        train: train, valid: valid, progress: false).run()
        let lines = try String(contentsOf: log.url, encoding: .utf8).split(separator: "\n")
        let epochs = lines.compactMap { TrainLog.epoch(ofLine: String($0), fold: 1) }
        #expect(epochs == [1, 2, 3], "\(lines)")
    }

    @Test func dropEpochsKeepsEverythingButTheTrailingLinesOfTheFold() throws {
        let dir = try Reference.temporaryDirectory("rel-drop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = TrainLog(logDir: dir, kernelType: "k")
        func line(_ f: Int, _ e: Int) -> String {
            TrainLog.epochLine(fold: f, epoch: e, lr: 0, trainLoss: 0, validLoss: 0, acc: 0, auc: 0, auc20: 0)
        }
        let lines = [line(1, 1), line(1, 2), "Eval best:", line(0, 1), line(1, 1), line(1, 2), line(1, 3)]
        for l in lines { try log.append(l) }
        try log.dropEpochs(fold: 1, after: 1)
        #expect(try String(contentsOf: log.url, encoding: .utf8) == lines.prefix(5).map { $0 + "\n" }.joined())
        try log.dropEpochs(fold: 1, after: 1)  // nothing more to drop
        #expect(try String(contentsOf: log.url, encoding: .utf8).split(separator: "\n").count == 5)
    }

    @Test func checkpointWithNaNIsRefusedNamingTheTensor() throws {
        let dir = try Reference.temporaryDirectory("rel-nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TinyNet(classes: 3, nMeta: 2)
        let rv = try #require(model.stateDict().first { $0.name == "bn.running_var" })
        try rv.tensor.fill_(.nan)
        let src = try makeSource(rows: 8, classes: 3, seed: 1, batchSize: 8)
        let trainer = Trainer(config: config(dir, epochs: 1), model: model, train: src, valid: src, progress: false)
        #expect { try trainer.saveModel("tiny_best_fold1.pth") } throws: { "\($0)".contains("bn.running_var") }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("weights/tiny_best_fold1.pth").path))
    }

    @Test func nanValidationLossFailsNamingWhereItBegan() throws {
        let dir = try Reference.temporaryDirectory("rel-nan-valid")
        defer { try? FileManager.default.removeItem(at: dir) }
        LibTorch.manualSeed(3)
        let model = try TinyNet(classes: 3, nMeta: 2)
        // Training uses batch statistics, so only validation (running statistics) sees the NaN.
        try #require(model.stateDict().first { $0.name == "bn.running_var" }).tensor.fill_(.nan)
        let train = try makeSource(rows: 16, classes: 3, seed: 1, batchSize: 8)
        let valid = try makeSource(rows: 8, classes: 3, seed: 2, batchSize: 8)
        #expect {
            _ = try Trainer(config: config(dir, epochs: 1), model: model, train: train, valid: valid, progress: false).run()
        } throws: { "\($0)".contains("validation loss") && "\($0)".contains("bn.running_var") }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("logs/log_tiny.txt").path))
    }
}
