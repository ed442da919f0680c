import Foundation
import Testing
import TestSupport
import Torch
@testable import MelanomaKit

@Suite("Pipeline resume state and file names")
struct PipelineTrainStateTests {
    @Test func originalFileNames() {
        let n = CheckpointNames(kernelType: "9c_meta_b3_768_512_ext_18ep")
        #expect(n.best(fold: 0) == "9c_meta_b3_768_512_ext_18ep_best_fold0.pth")
        #expect(n.best20(fold: 3) == "9c_meta_b3_768_512_ext_18ep_best_20_fold3.pth")
        #expect(n.final(fold: 4) == "9c_meta_b3_768_512_ext_18ep_final_fold4.pth")
        #expect(n.checkpoint(.best20, fold: 1) == n.best20(fold: 1))
        #expect(n.submission(.best20) == "sub_9c_meta_b3_768_512_ext_18ep_best_20.csv")
        #expect(CheckpointNames(kernelType: "k", fileExtension: "safetensors").final(fold: 2) == "k_final_fold2.safetensors")
        #expect(EvalChoice(rawValue: "best_20") == .best20 && EvalChoice.allCases.map(\.rawValue) == ["best", "best_20", "final"])
    }

    @Test func epochSeedsDifferAndRepeat() {
        var seen = Set<UInt64>()
        for f in 0 ..< 5 { for e in 1 ... 18 { seen.insert(TrainState.epochSeed(seed: 0, fold: f, epoch: e)) } }
        #expect(seen.count == 90)
        #expect(TrainState.epochSeed(seed: 7, fold: 1, epoch: 3) == TrainState.epochSeed(seed: 7, fold: 1, epoch: 3))
        #expect(TrainState.epochSeed(seed: 7, fold: 1, epoch: 3) != TrainState.epochSeed(seed: 8, fold: 1, epoch: 3))
    }

    @Test func saveResumeAndFinish() throws {
        let dir = try Reference.temporaryDirectory("pipeline-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = CheckpointNames(kernelType: "k")
        let store = ResumeStore(modelDir: dir, names: names, fold: 2)
        #expect(try store.load() == nil)

        let settings = ["image_size": "128", "enet_type": "tf_efficientnet_b0_ns"]
        var state = TrainState(kernelType: "k", fold: 2, nEpochs: 5, seed: 0, initLR: 3e-5, settings: settings)
        let w = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let m = try Tensor([0.5, 0.25] as [Float], shape: [2])
        for epoch in 1 ... 2 {
            state.epochDone = epoch
            state.aucMax = 0.5 + Double(epoch) / 10
            state.nextLR = LRSchedule.lr(epoch: epoch + 1, initLR: 3e-5, nEpochs: 5)
            try w.mul_(2)
            try store.save(state: state, model: [("fc.weight", w)], optimizer: [("state.0.exp_avg", m)])
        }
        // Only the latest resume checkpoint is kept, and no temporary file is left behind.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["k_resume_fold2.json", "k_resume_fold2_epoch2.pth"])

        guard let loaded = try store.load() else { Issue.record("nothing to resume"); return }
        #expect(loaded.state.epochDone == 2 && loaded.state.aucMax == 0.7 && loaded.state.checkpoint == "k_resume_fold2_epoch2.pth")
        #expect(loaded.state.nextLR == LRSchedule.lr(epoch: 3, initLR: 3e-5, nEpochs: 5))
        #expect(loaded.model.map(\.name) == ["fc.weight"] && loaded.optimizer.map(\.name) == ["state.0.exp_avg"])
        #expect(try loaded.model[0].tensor.toArray(Float.self) == [4, 8, 12, 16])
        #expect(try loaded.optimizer[0].tensor.toArray(Float.self) == [0.5, 0.25])

        try loaded.state.checkCompatible(with: settings, stateFile: "s.json")
        do {
            try loaded.state.checkCompatible(with: ["image_size": "256", "enet_type": "tf_efficientnet_b0_ns"], stateFile: "s.json")
            Issue.record("a changed image size was accepted")
        } catch { #expect("\(error)".contains("image_size: was 128, now 256")) }

        try store.markFinished(state: loaded.state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["k_resume_fold2.json"])
        let done = try store.load()
        #expect(done?.state.finished == true && done?.model.isEmpty == true)

        // Another fold's or kernel's state is refused; a damaged file names itself.
        let other = ResumeStore(modelDir: dir, names: CheckpointNames(kernelType: "other"), fold: 2)
        try FileManager.default.copyItem(at: store.stateURL, to: other.stateURL)
        #expect(throws: RunError.self) { try other.load() }
        try Data("{\"fold\": 1".utf8).write(to: store.stateURL)
        do { _ = try store.load(); Issue.record("damaged state accepted") } catch {
            #expect("\(error)".contains("k_resume_fold2.json"))
        }
    }
}
