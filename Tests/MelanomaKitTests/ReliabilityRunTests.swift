import Basics
import Foundation
import Testing
import TestSupport
import Torch
@testable import MelanomaKit

/// What a run checks before it spends time, and the files it owns: settings that cannot train, folds without
/// melanoma, output folders that take no files, a second run of the same kernel, stale temporaries,
/// folds.csv made for other patients, and a data fingerprint for resuming.
@Suite("Reliability: before a run", .serialized) struct ReliabilityRunTests {
    func options(_ root: URL, useMeta: Bool = true, batchSize: Int = 4, folds: [Int] = [2]) -> RunOptions {
        var o = RunOptions(kernelType: "k", dataFolder: DataFixture.folder, imageSize: 32, enetType: "efficientnet_b0")
        o.dataDir = root.path
        o.modelDir = root.appendingPathComponent("weights").path
        o.logDir = root.appendingPathComponent("logs").path
        o.useMeta = useMeta
        o.batchSize = batchSize
        o.folds = folds
        o.numWorkers = 0
        return o
    }

    func expectRunError(_ setting: Setting, containing: String..., body: () throws -> Void) {
        do {
            try body()
            Issue.record("no error; expected one about \(setting)")
        } catch let e as RunError {
            #expect(e.setting == setting, "\(e)")
            for c in containing { #expect(e.message.contains(c), "\(e)") }
        } catch {
            Issue.record("expected a RunError about \(setting), got \(error)")
        }
    }

    @Test func batchOfOneWithMetadataIsRefusedBeforeAnyData() throws {
        let root = try Reference.temporaryDirectory("rel-batch")
        defer { try? FileManager.default.removeItem(at: root) }
        expectRunError(.batchSize, containing: "at least 2", "metadata") {
            _ = try TrainRun.run(options(root, batchSize: 1), pretrained: nil, resume: false, console: { _ in })
        }
        // Without metadata, a 32-pixel image ends in a 1x1 feature map: the same NaN in the backbone's BatchNorm.
        expectRunError(.batchSize, containing: "at least 2", "1x1") {
            _ = try TrainRun.run(options(root, useMeta: false, batchSize: 1), pretrained: nil, resume: false, console: { _ in })
        }
    }

    @Test func foldWithoutMelanomaIsAWarningInCheckDataAndRefusedByTrain() throws {
        let root = try DataFixture.make(train: DataFixture.header + "\n" + DataFixture.goodTrain.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let (_, report) = try Dataset.inspect(DataFixture.config(root))
        // tfrecords 0, 3, 7 are folds 2, 3, 4; only fold 2 holds the melanoma.
        let warned = report.problems.filter { $0.severity == .warning && $0.message.contains("no melanoma") }
        #expect(warned.map { $0.message.prefix(6) } == ["fold 3", "fold 4"], "\(report.problems)")
        expectRunError(.folds, containing: "fold 3", "melanoma") {
            _ = try TrainRun.run(options(root, folds: [2, 3]), pretrained: nil, resume: false, console: { _ in })
        }
        // Refused before any fold trained: nothing was written for fold 2.
        let weights = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("weights").path)) ?? []
        #expect(weights.allSatisfy { !$0.hasSuffix(".pth") }, "\(weights)")
    }

    @Test func unwritableOutputFolderNamesTheFlagBeforeReadingData() throws {
        let root = try Reference.temporaryDirectory("rel-folders")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        var o = options(root.appendingPathComponent("no-data-here"))
        o.modelDir = file.path
        expectRunError(.modelDir, containing: file.path) {
            _ = try TrainRun.run(o, pretrained: nil, resume: false, console: { _ in })
        }
        o.modelDir = root.appendingPathComponent("weights").path
        o.logDir = file.appendingPathComponent("logs").path
        expectRunError(.logDir, containing: file.path) {
            _ = try TrainRun.run(o, pretrained: nil, resume: false, console: { _ in })
        }
        expectRunError(.oofDir, containing: file.path) {
            _ = try EvaluateRun.run(options(root), eval: .best, oofDir: file.path, console: { _ in })
        }
        expectRunError(.subDir, containing: file.path) {
            _ = try PredictRun.run(options(root), eval: .best, subDir: file.appendingPathComponent("s").path, console: { _ in })
        }
    }

    @Test func secondRunOfAKernelFailsFastNamingTheHolder() throws {
        let root = try Reference.temporaryDirectory("rel-lock")
        defer { try? FileManager.default.removeItem(at: root) }
        let o = options(root)
        try FileManager.default.createDirectory(atPath: o.modelDir, withIntermediateDirectories: true)
        let held = try RunLock(modelDir: URL(fileURLWithPath: o.modelDir), kernelType: "k")
        expectRunError(.kernelType, containing: "pid \(getpid())", ProcessInfo.processInfo.hostName) {
            _ = try TrainRun.run(o, pretrained: nil, resume: false, console: { _ in })
        }
        // Another kernel in the same folder is not blocked.
        let other = try RunLock(modelDir: URL(fileURLWithPath: o.modelDir), kernelType: "k2")
        other.release()
        held.release()
        _ = try RunLock(modelDir: URL(fileURLWithPath: o.modelDir), kernelType: "k")
    }

    @Test func staleTemporariesOfDeadProcessesAreRemoved() throws {
        let dir = try Reference.temporaryDirectory("rel-stale")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A child that has exited: its pid is free (ESRCH) once reaped.
        let p = try ChildProcess(URL(fileURLWithPath: "/bin/true"), [])
        p.wait()
        let dead = p.pid
        let names = [AtomicFile.temporaryName(for: "k_best_fold0.pth") + "\(dead)-12345",
                     AtomicFile.temporaryName(for: "log_k.txt") + "\(getpid())-7",  // ours: a write in progress
                     ".hidden-but-not-temporary", "k_best_fold0.pth"]
        for n in names { try Data().write(to: dir.appendingPathComponent(n)) }
        let removed = RunFolders.removeStaleTemporaries(dir.path)
        #expect(removed == [names[0]])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == Set(names.dropFirst()))
    }

    @Test func fingerprintFollowsTheTrainingRows() throws {
        let text = DataFixture.header + "\n" + DataFixture.goodTrain.joined(separator: "\n") + "\n"
        let root = try DataFixture.make(train: text)
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try Dataset.load(DataFixture.config(root)).fingerprint
        #expect(try Dataset.load(DataFixture.config(root)).fingerprint == a)
        try Data(text.replacingOccurrences(of: "torso,nevus", with: "torso,melanoma").utf8).write(to: DataFixture.trainCSV(root))
        let b = try Dataset.load(DataFixture.config(root)).fingerprint
        #expect(a != b)
        let state = TrainState(kernelType: "k", fold: 0, nEpochs: 2, seed: 0, initLR: 1e-4, settings: ["data": a])
        #expect { try state.checkCompatible(with: ["data": b], stateFile: "s.json") } throws: {
            ($0 as? RunError)?.setting == .resume && "\($0)".contains("training data")
        }
    }

    @Test func foldsFileMadeForOtherPatientsIsRefused() throws {
        let header = "image_name,patient_id,sex,age_approx,anatom_site_general_challenge,diagnosis,benign_malignant,target"
        let rows = (1 ... 20).map { i in
            "ISIC_\(String(format: "%07d", i)),IP_\(i / 2),male,45.0,torso,\(i % 4 == 0 ? "melanoma" : "nevus"),benign,0"
        }
        let text = header + "\n" + rows.joined(separator: "\n") + "\n"
        let root = try DataFixture.make(train: text)
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try Dataset.load(DataFixture.config(root))
        let foldsPath = DataFixture.trainCSV(root).deletingLastPathComponent().appendingPathComponent("folds.csv")
        #expect(try String(contentsOf: foldsPath, encoding: .utf8).hasPrefix("image_name,patient_id,tfrecord\n"))
        #expect(try Dataset.load(DataFixture.config(root)).train.map(\.fold) == first.train.map(\.fold))
        // Image 3 moves to patient IP_9: the recorded folds no longer keep patients together.
        try Data(text.replacingOccurrences(of: "ISIC_0000003,IP_1,", with: "ISIC_0000003,IP_9,").utf8)
            .write(to: DataFixture.trainCSV(root))
        #expect { try Dataset.load(DataFixture.config(root)) } throws: { e in
            let p = (e as? DataError)?.problems.first
            return p?.column == "patient_id" && p?.row == 3 && p?.message.contains("folds.csv") == true
        }
    }

    @Test func checkpointHoldingNaNIsRefusedByEvaluateAndPredict() throws {
        let root = try Reference.temporaryDirectory("rel-nan-ckpt")
        defer { try? FileManager.default.removeItem(at: root) }
        let o = options(root, useMeta: false)
        let model = try o.makeModel(nMetaFeatures: 0, seed: 0)
        let sd = model.stateDict()
        let victim = try #require(sd.first { $0.name.hasSuffix("running_var") })
        try victim.tensor.fill_(.infinity)
        let url = URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.best(fold: 2))
        try saveTensors(sd, to: url)
        #expect { _ = try loadFoldModel(o, nMeta: 0, eval: .best, fold: 2) } throws: {
            "\($0)".contains(url.path) && "\($0)".contains(victim.name)
        }
    }
}
