import Foundation
import Models
import NN
import TestSupport
import Testing
import Torch

/// The original's checkpoints: torch.save(state_dict) of an nn.DataParallel model (an OrderedDict
/// with `module.` keys) loads strictly, and converts to .safetensors that python reads back equal.
@Test func dataParallelCheckpointLoadsAndConverts() throws {
    let dir = try Reference.temporaryDirectory("models-ckpt")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Reference.run("models_checkpoint.py", ["write", dir.path])
    let pth = dir.appendingPathComponent("dp.pth")

    let model = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 9))
    let report = try model.load(contentsOf: pth, strict: true)
    #expect(report.loaded.count == model.stateDict().count)

    let st = dir.appendingPathComponent("converted.safetensors")
    let n = try Checkpoint.convert(from: pth, to: st, stripModulePrefix: true)
    #expect(n == model.stateDict().count)
    let out = try Reference.run("models_checkpoint.py", ["check", st.path, dir.appendingPathComponent("reference.safetensors").path])
    #expect(out.contains("ok"))

    // and back: safetensors -> .pth that our loader (and torch.load, see the engine tests) reads
    let back = dir.appendingPathComponent("back.pth")
    try Checkpoint.convert(from: st, to: back)
    let again = try loadTensors(back)
    #expect(again.map(\.name) == (try loadTensors(st)).map(\.name))
}

@Test func convertRejectsBadInput() throws {
    let dir = try Reference.temporaryDirectory("models-ckpt-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let junk = dir.appendingPathComponent("junk.pth")
    try Data("not a checkpoint".utf8).write(to: junk)
    #expect(throws: (any Error).self) { try Checkpoint.convert(from: junk, to: dir.appendingPathComponent("x.safetensors")) }
    #expect(throws: (any Error).self) { try Checkpoint.convert(from: junk, to: junk) }
}

/// A pretrained file that does not fit names the key and the shapes.
@Test func pretrainedMismatchNamesTheKey() throws {
    let dir = try Reference.temporaryDirectory("models-pre-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let backbone = try ModelRegistry.backbone("efficientnet_b0")
    var sd = backbone.stateDict()
    let i = try #require(sd.firstIndex { $0.name == "conv_head.weight" })
    sd[i] = (sd[i].name, try Tensor.zeros([7, 320, 1, 1]))
    sd.append(("classifier.weight", try Tensor.zeros([1000, 1280])))
    let url = dir.appendingPathComponent("bad.safetensors")
    try saveTensors(sd, to: url)
    do {
        try backbone.loadPretrained(from: url)
        Issue.record("expected a shape error")
    } catch {
        #expect("\(error)".contains("conv_head.weight"), "\(error)")
        #expect("\(error)".contains("[7, 320, 1, 1]"), "\(error)")
    }
    // a missing key is named too
    let missing = sd.filter { $0.name != "bn2.running_var" && $0.name != "conv_head.weight" }
    try saveTensors(missing, to: url)
    #expect { try backbone.loadPretrained(from: url) } throws: { "\($0)".contains("bn2.running_var") }
}
