import Foundation
import NN
import Torch

/// Checkpoint files: torch.save (.pth) and .safetensors hold the same state dicts.
public enum Checkpoint {
    /// Rewrites `input` as `output` (format chosen by each file's extension: .safetensors or
    /// torch.save). Keys keep their order; `stripModulePrefix` drops nn.DataParallel's `module.`.
    /// Returns the number of tensors written.
    @discardableResult
    public static func convert(from input: URL, to output: URL, stripModulePrefix: Bool = false) throws -> Int {
        guard input.standardizedFileURL != output.standardizedFileURL else {
            throw ModelError("convert: input and output are the same file (\(input.path))")
        }
        var tensors = try loadTensors(input)
        if tensors.isEmpty { throw ModelError("\(input.path): holds no tensors") }
        if stripModulePrefix {
            tensors = tensors.map { ($0.name.hasPrefix("module.") ? String($0.name.dropFirst(7)) : $0.name, $0.tensor) }
        }
        var seen = Set<String>()
        for (k, _) in tensors where !seen.insert(k).inserted {
            throw ModelError("\(input.path): key \(k) occurs twice" + (stripModulePrefix ? " after stripping 'module.'" : ""))
        }
        try saveTensors(tensors, to: output)
        return tensors.count
    }
}
