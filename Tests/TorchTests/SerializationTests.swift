import Foundation
import Testing
import TestSupport
import Torch

@Suite("weights I/O") struct SerializationTests {
    @Test func safetensorsWrittenByPythonLoad() throws {
        let f = try Golden.fixture()
        #expect(f["conv.x"].shape == [2, 6, 11, 9])
        #expect(f["ce.target"].dtype == .int64)
    }

    @Test func safetensorsRoundTrip() throws {
        let dir = try Reference.temporaryDirectory("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        let a = try Tensor.randn([3, 4]), b = try Tensor([1, 2, 3] as [Int64]), c = try Tensor.randn([2]).to(dtype: .bfloat16)
        try SafeTensors.save([("a", a), ("z.b", b), ("m.c", c)], to: url, metadata: ["format": "pt"])
        let back = try SafeTensors.load(url)
        #expect(back.map(\.name) == ["a", "z.b", "m.c"])
        #expect(try back[0].tensor.toArray(Float.self) == a.toArray(Float.self))
        #expect(try back[1].tensor.toArray(Int64.self) == [1, 2, 3])
        #expect(back[2].tensor.dtype == .bfloat16)
        #expect(try maxAbsDiff(back[2].tensor, c) == 0)
        // No temp files are left beside the target.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])
    }

    @Test func truncatedSafetensorsIsAnErrorNamingTheFile() throws {
        let dir = try Reference.temporaryDirectory("st-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3]).write(to: url)
        #expect { try SafeTensors.load(url) } throws: { "\($0)".contains("bad.safetensors") }
    }

    @Test func pthWrittenByPythonLoadsWithTheRightValues() throws {
        let f = try Golden.fixture()
        let sd = try PyTorchFile.load(f.dir.appendingPathComponent("state.pth"))
        let byName = Dictionary(uniqueKeysWithValues: sd.map { ($0.name, $0.tensor) })
        #expect(sd.map(\.name) == ["module.layer.weight", "module.layer.bias", "module.bn.running_mean",
                                   "module.bn.num_batches_tracked"])
        #expect(try byName["module.layer.weight"]!.toArray(Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(byName["module.layer.weight"]!.shape == [2, 3])
        #expect(try byName["module.bn.num_batches_tracked"]!.item() == 7)
    }

    @Test func pthWeWriteLoadsInPythonTorch() throws {
        let dir = try Reference.temporaryDirectory("pth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ours.pth")
        try PyTorchFile.save([("enet.w", try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])),
                              ("meta.1.num_batches_tracked", try Tensor.scalar(3, dtype: .int64))], to: url)
        let out = try Reference.run("torch_check_pth.py", [url.path])
        #expect(out.contains("enet.w [2, 2] 10.000000 torch.float32"), "\(out)")
        #expect(out.contains("meta.1.num_batches_tracked [] 3.000000 torch.int64"), "\(out)")
        let back = try PyTorchFile.load(url)
        #expect(try back[0].tensor.toArray(Float.self) == [1, 2, 3, 4])
    }

    @Test func missingPthIsAnErrorNamingTheFile() {
        #expect { try PyTorchFile.load(URL(fileURLWithPath: "/nonexistent/x.pth")) } throws: {
            "\($0)".contains("/nonexistent/x.pth")
        }
    }
}
