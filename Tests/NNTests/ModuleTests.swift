import Foundation
import NN
import Testing
import TestSupport
import Torch

/// The shape of a melanoma head's metadata branch, to check paths equal torch's state_dict keys.
final class TinyNet: Module, @unchecked Sendable {
    let meta: Sequential
    let myfc: Linear

    init(width: Int = 6) throws {
        meta = Sequential([try Linear(4, width), try BatchNorm1d(width), SiLU(), Dropout(0.3)])
        myfc = try Linear(width, 2)
        super.init()
        addModule("meta", meta)
        addModule("myfc", myfc)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try myfc(meta(x)) }
}

@Suite("modules and state dicts") struct ModuleTests {
    @Test func parameterPathsAreTorchStateDictKeys() throws {
        let net = try TinyNet()
        #expect(net.stateDict().map(\.name) == [
            "meta.0.weight", "meta.0.bias", "meta.1.weight", "meta.1.bias", "meta.1.running_mean",
            "meta.1.running_var", "meta.1.num_batches_tracked", "myfc.weight", "myfc.bias",
        ])
        #expect(net.namedParameters().count == 6)
        #expect(net.namedParameters().allSatisfy { $0.tensor.requiresGrad })
    }

    @Test func trainAndEvalPropagate() throws {
        let net = try TinyNet()
        net.eval()
        #expect(!net.meta[1].isTraining && !net.myfc.isTraining)
        net.train()
        #expect(net.meta[3].isTraining)
    }

    @Test func batchNormCountsBatchesInTrainingOnly() throws {
        let net = try TinyNet()
        _ = try net(try Tensor.randn([5, 4]))
        _ = try net(try Tensor.randn([5, 4]))
        net.eval()
        _ = try net(try Tensor.randn([5, 4]))
        #expect(try net.meta[1].tensor("num_batches_tracked")!.item() == 2)
    }

    @Test func strictLoadingListsEveryBadKeyAtOnce() throws {
        let net = try TinyNet()
        var sd = net.stateDict().filter { $0.name != "meta.0.bias" && $0.name != "myfc.bias" }
        sd.append(("meta.9.weight", try Tensor.zeros([1])))
        let wrong = try Tensor.zeros([3, 6])
        sd = sd.map { $0.name == "myfc.weight" ? ($0.name, wrong) : $0 }
        do {
            try net.load(stateDict: sd)
            Issue.record("strict load accepted a bad state dict")
        } catch let e as StateDictError {
            #expect(e.missing == ["meta.0.bias", "myfc.bias"])
            #expect(e.unexpected == ["meta.9.weight"])
            #expect(e.wrongShape.map(\.key) == ["myfc.weight"])
            let text = "\(e)"
            #expect(text.contains("myfc.weight expects [2, 6], file has [3, 6]"), "\(text)")
        }
    }

    @Test func mismatchMessageIsShortNamesTheCauseAndKeepsEveryKeyInAFile() throws {
        let net = try TinyNet()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-mismatch-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("wrapped.safetensors")
        // A checkpoint saved as {"state_dict": model.state_dict()} and flattened: every key prefixed.
        try saveTensors(net.stateDict().map { ("state_dict." + $0.name, $0.tensor) }, to: url)
        do {
            try TinyNet().load(contentsOf: url)
            Issue.record("a prefixed state dict loaded")
        } catch {
            let text = "\(error)"
            #expect(text.contains("9 missing") && text.contains("9 unexpected") && text.contains("... (6 more)"), "\(text)")
            #expect(text.contains("every key in the file starts with 'state_dict.'"), "\(text)")
            #expect(text.count < 700, "the message should stay short: \(text.count) characters")
            let list = FileManager.default.temporaryDirectory.appendingPathComponent("wrapped-key-mismatch.txt")
            #expect(text.contains(list.path))
            let full = try String(contentsOf: list, encoding: .utf8)
            #expect(full.split(separator: "\n").count == 18 && full.contains("unexpected  state_dict.myfc.bias"))
        }
    }

    @Test func loadingStripsDataParallelPrefixAndCopiesInPlace() throws {
        let a = try TinyNet(), b = try TinyNet()
        let weightBefore = b.myfc.weight
        let prefixed = a.stateDict().map { ("module." + $0.name, $0.tensor) }
        let report = try b.load(stateDict: prefixed)
        #expect(report.loaded.count == 9)
        #expect(weightBefore === b.myfc.weight)
        for (x, y) in zip(a.stateDict(), b.stateDict()) {
            #expect(try x.tensor.to(dtype: .float64).toArray(Double.self) == y.tensor.to(dtype: .float64).toArray(Double.self))
        }
    }

    @Test func nonStrictLoadingSkipsAndReports() throws {
        let a = try TinyNet(), b = try TinyNet()
        let sd = a.stateDict().filter { !$0.name.hasPrefix("myfc") } + [("classifier.weight", try Tensor.zeros([1]))]
        let report = try b.load(stateDict: sd, strict: false)
        #expect(report.skipped == ["classifier.weight"])
        #expect(report.missing == ["myfc.weight", "myfc.bias"])
    }

    @Test func savesAndLoadsBothFormats() throws {
        let dir = try Reference.temporaryDirectory("nn-save")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try TinyNet()
        for name in ["w.pth", "w.safetensors"] {
            let url = dir.appendingPathComponent(name)
            try a.save(to: url)
            let b = try TinyNet()
            try b.load(contentsOf: url)
            #expect(try b.myfc.weight.toArray(Float.self) == a.myfc.weight.toArray(Float.self))
        }
    }
}
