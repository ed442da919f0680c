import Basics
import Foundation
import Torch

/// A module tree or optimizer state that does not fit what it is asked to do (NN's own errors).
public struct NNError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Why a state dict did not load, every bad key counted at once.
public struct StateDictError: Error, CustomStringConvertible, Sendable {
    /// The file the weights came from, when they came from one.
    public var file: String?
    /// Where the full list of keys was written (they can fill 30 KB).
    public var fullList: String?
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var wrongShape: [(key: String, expected: [Int], got: [Int])] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && wrongShape.isEmpty }

    /// A short account: counts, the first few keys of each kind and, when it can tell, the likely cause.
    public var description: String {
        func few(_ keys: [String]) -> String {
            keys.prefix(3).joined(separator: ", ") + (keys.count > 3 ? ", ... (\(keys.count - 3) more)" : "")
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) missing (\(few(missing)))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected (\(few(unexpected)))") }
        if !wrongShape.isEmpty {
            parts.append("\(wrongShape.count) of another shape (" + wrongShape.prefix(3).map {
                "\($0.key) expects \($0.expected), file has \($0.got)"
            }.joined(separator: ", ") + (wrongShape.count > 3 ? ", ..." : "") + ")")
        }
        var text = (file.map { "\($0): " } ?? "") + "state dict does not match the model: " + parts.joined(separator: "; ")
        if let cause = likelyCause { text += ". Likely cause: " + cause }
        if let fullList { text += " (every key: \(fullList))" }
        return text
    }

    /// Every key, one per line, for a file next to the short account.
    public var fullReport: String {
        (missing.map { "missing     \($0)" } + unexpected.map { "unexpected  \($0)" }
            + wrongShape.map { "shape       \($0.key) expects \($0.expected), file has \($0.got)" })
            .joined(separator: "\n") + "\n"
    }

    /// A prefix on every unexpected key that, removed, names the missing ones (`state_dict.`, `model.`), or a
    /// file of another architecture.
    var likelyCause: String? {
        guard !missing.isEmpty, !unexpected.isEmpty else {
            if !wrongShape.isEmpty && missing.isEmpty && unexpected.isEmpty {
                return "same layers, other sizes: another variant of the backbone, or another out-dim / meta size"
            }
            return nil
        }
        let wanted = Set(missing)
        if let dot = unexpected[0].firstIndex(of: ".") {
            let prefix = String(unexpected[0][...dot])
            let stripped = unexpected.compactMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
            if stripped.count == unexpected.count, Set(stripped).isSuperset(of: wanted) {
                return "every key in the file starts with '\(prefix)'; the weights are wrapped (convert them, or load the inner dict)"
            }
        }
        let have = Set(unexpected)
        if let m = missing.first, let dot = m.firstIndex(of: ".") {
            let prefix = String(m[...dot])
            if missing.allSatisfy({ $0.hasPrefix(prefix) }), Set(missing.map { String($0.dropFirst(prefix.count)) }).isSubset(of: have) {
                return "the model's keys start with '\(prefix)' and the file's do not: it holds the backbone alone (use it as pretrained weights)"
            }
        }
        return missing.count + unexpected.count > 20 ? "the file was saved from another architecture" : nil
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
            // The whole list can be 30 KB of keys: it goes to a file, the message stays one readable line.
            let list = FileManager.default.temporaryDirectory
                .appendingPathComponent("\(url.deletingPathExtension().lastPathComponent)-key-mismatch.txt")
            var located = e
            located.file = url.path
            if (try? AtomicFile.write(e.fullReport, to: list)) != nil { located.fullList = list.path }
            throw located
        }
    }

    /// Saves the state dict as .pth or .safetensors (by extension), atomically.
    public func save(to url: URL) throws { try saveTensors(stateDict(), to: url) }
}
