import Foundation
import TestSupport
import Torch

/// Fixtures written by Tests/Reference/torch_ops.py, produced once per test process.
enum Golden {
    struct Fixture: @unchecked Sendable {
        let dir: URL
        let tensors: [String: Tensor]
        subscript(_ name: String) -> Tensor { tensors[name]! }
    }

    static let ops: Result<Fixture, Error> = Result {
        let dir = try Reference.temporaryDirectory("torch-ops")
        try Reference.run("torch_ops.py", [dir.path])
        let loaded = try SafeTensors.load(dir.appendingPathComponent("ops.safetensors"))
        return Fixture(dir: dir, tensors: Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0.tensor) }))
    }

    static func fixture() throws -> Fixture { try ops.get() }
}

/// Largest absolute elementwise difference (as Double).
func maxAbsDiff(_ a: Tensor, _ b: Tensor) throws -> Double {
    guard a.shape == b.shape else { return .infinity }
    return try (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
}
