import Foundation
import Models
import NN
import TestSupport
import Torch

/// Fixtures made by Tests/Reference/models_golden.py with the original libraries.
struct Golden {
    let dir: URL
    let io: [String: Tensor]

    /// Runs the reference script for `arch` and loads its inputs/outputs.
    static func make(_ arch: String, size: Int = 64, nMeta: Int = 0, nMetaDim: [Int] = [512, 128],
                     extra: [String] = []) throws -> Golden {
        let dir = try Reference.temporaryDirectory("models-\(arch)")
        try Reference.run("models_golden.py", [
            "--arch", arch, "--out", dir.path, "--size", String(size), "--n-meta", String(nMeta),
            "--n-meta-dim", nMetaDim.map(String.init).joined(separator: ","),
        ] + extra)
        return Golden(dir: dir, io: try tensors(dir.appendingPathComponent("io.safetensors")))
    }

    static func tensors(_ url: URL) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, t) in try loadTensors(url) { out[k] = t }
        return out
    }

    func file(_ name: String) -> URL { dir.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) throws -> Double {
    guard a.shape == b.shape else { return .infinity }
    return try (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
}

func maxAbs(_ a: Tensor) throws -> Double { try a.to(dtype: .float64).abs().max().item() }

/// Per-layer comparison of a backbone's tapped outputs with the reference's `tap.<layer>` tensors.
final class LayerTrace {
    struct Row { let name: String; let diff: Double; let scale: Double }
    private(set) var rows: [Row] = []
    private(set) var missing: [String] = []
    let reference: [String: Tensor]

    init(reference: [String: Tensor]) { self.reference = reference }

    func record(_ name: String, _ x: Tensor) throws {
        guard let ref = reference["tap.\(name)"] else { missing.append(name); return }
        rows.append(Row(name: name, diff: try maxAbsDiff(x, ref), scale: try maxAbs(ref)))
    }

    /// The first layer whose output differs by more than `tolerance` relative to max(1, |ref|max).
    func firstDivergence(tolerance: Double) -> String? {
        guard let r = rows.first(where: { $0.diff > tolerance * Swift.max(1, $0.scale) }) else { return nil }
        return "first diverging layer \(r.name): max abs diff \(r.diff) (ref max \(r.scale))"
    }

    var tappedReferenceCount: Int { reference.keys.filter { $0.hasPrefix("tap.") }.count }
}
