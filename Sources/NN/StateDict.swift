import Foundation
import Torch

/// Why a state dict did not load, every bad key listed at once.
public struct StateDictError: Error, CustomStringConvertible, Sendable {
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var wrongShape: [(key: String, expected: [Int], got: [Int])] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && wrongShape.isEmpty }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty {
            parts.append("unexpected keys (\(unexpected.count)): " + unexpected.joined(separator: ", "))
        }
        if !wrongShape.isEmpty {
            parts.append("wrong shapes (\(wrongShape.count)): " + wrongShape.map {
                "\($0.key) expects \($0.expected), file has \($0.got)"
            }.joined(separator: ", "))
        }
        return "state dict does not match the model: " + parts.joined(separator: "; ")
    }
}

/// What a load did.
public struct LoadReport: Sendable {
    public var loaded: [String] = []
    public var skipped: [String] = []
    public var missing: [String] = []
}

extension Module {
    /// Copies `tensors` into the module's parameters and buffers (in place, values converted to the
    /// module's dtype and device). A leading `module.` (from nn.DataParallel) is stripped.
    /// Strict: every key must match by name and shape, else one error lists every bad key.
    /// Non-strict: keys that `skip` accepts or that the model lacks are skipped; missing ones reported.
    @discardableResult
    public func load(stateDict tensors: NamedTensors, strict: Bool = true,
                     skip: (String) -> Bool = { _ in false }) throws -> LoadReport {
        let own = stateDict()
        var index: [String: Tensor] = [:]
        for (k, t) in own { index[k] = t }
        var given: [String: Tensor] = [:]
        var order: [String] = []
        for (k, t) in tensors {
            let key = k.hasPrefix("module.") ? String(k.dropFirst(7)) : k
            if given[key] == nil { order.append(key) }
            given[key] = t
        }
        var err = StateDictError()
        var report = LoadReport()
        for key in order {
            guard let t = given[key] else { continue }
            if skip(key) { report.skipped.append(key); continue }
            guard let dst = index[key] else {
                if strict { err.unexpected.append(key) } else { report.skipped.append(key) }
                continue
            }
            // torch keeps num_batches_tracked as a 0-d tensor; accept it whatever its rank.
            if dst.shape != t.shape, !(key.hasSuffix("num_batches_tracked") && t.count == dst.count) {
                err.wrongShape.append((key, dst.shape, t.shape))
            }
        }
        for (k, _) in own where given[k] == nil && !skip(k) {
            if strict { err.missing.append(k) } else { report.missing.append(k) }
        }
        if !err.isEmpty && (strict || !err.wrongShape.isEmpty) { throw err }
        try withNoGrad {
            for key in order where !skip(key) {
                guard let dst = index[key], let src = given[key] else { continue }
                try dst.copy_(try src.reshape(dst.shape))
                report.loaded.append(key)
            }
        }
        return report
    }

    /// Loads a .pth (torch.save) or .safetensors file into the module; see `load(stateDict:)`.
    @discardableResult
    public func load(contentsOf url: URL, strict: Bool = true, skip: (String) -> Bool = { _ in false }) throws
        -> LoadReport
    {
        let tensors = try loadTensors(url)
        do { return try load(stateDict: tensors, strict: strict, skip: skip) } catch let e as StateDictError {
            throw TorchError("\(url.path): \(e)")
        }
    }

    /// Saves the state dict as .pth or .safetensors (by extension), atomically.
    public func save(to url: URL) throws { try saveTensors(stateDict(), to: url) }
}
