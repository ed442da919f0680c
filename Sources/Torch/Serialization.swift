import Basics
import CTorch
import Foundation

/// Named tensors in a stable order, as a PyTorch `state_dict`.
public typealias NamedTensors = [(name: String, tensor: Tensor)]

/// The name of the first tensor holding NaN or infinity, nil when all are finite: what must be true of
/// anything saved as a result (checkpoints, resume points).
public func firstNonFinite(_ tensors: NamedTensors) throws -> String? {
    for (name, t) in tensors where try !t.isAllFinite() { return name }
    return nil
}

/// The safetensors format: u64 little-endian header length, a JSON header, then raw data.
public enum SafeTensors {
    static let codes: [DType: String] = [
        .float32: "F32", .float64: "F64", .float16: "F16", .bfloat16: "BF16", .int64: "I64",
        .int32: "I32", .int16: "I16", .int8: "I8", .uint8: "U8", .bool: "BOOL",
    ]

    public static func save(_ tensors: NamedTensors, to url: URL, metadata: [String: String] = [:]) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var blobs: [Tensor] = []
        for (name, t) in tensors {
            guard header[name] == nil else { throw TorchError("safetensors: duplicate tensor name '\(name)'") }
            let c = try t.detach().to(device: .cpu).contiguous()
            let n = c.count * c.dtype.byteSize
            header[name] = ["dtype": codes[c.dtype]!, "shape": c.shape, "data_offsets": [offset, offset + n]]
            offset += n
            blobs.append(c)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) } // pad with spaces, as the reference writer
        try AtomicFile.write(to: url) { tmp in
            _ = FileManager.default.createFile(atPath: tmp.path, contents: nil)
            let fh = try FileHandle(forWritingTo: tmp)
            defer { try? fh.close() }
            var len = UInt64(json.count).littleEndian
            try fh.write(contentsOf: Data(bytes: &len, count: 8))
            try fh.write(contentsOf: json)
            for c in blobs { try c.withRawBytes { try fh.write(contentsOf: Data($0)) } }
            try fh.synchronize()
        }
    }

    /// Bytes of a tensor of `shape`; nil when a dimension is negative or the product overflows.
    public static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var n = dtype.byteSize
        for d in shape {
            guard d >= 0 else { return nil }
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = m
        }
        return n
    }

    public static func load(_ url: URL) throws -> NamedTensors {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw TorchError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try load(data: data, name: url.path)
    }

    /// Reads safetensors bytes; `name` (the file) is in every error.
    public static func load(data: Data, name file: String) throws -> NamedTensors {
        func bad(_ why: String) -> TorchError { TorchError("\(file): not a valid safetensors file: \(why)") }
        guard data.count >= 8 else { throw bad("shorter than 8 bytes") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8) else { throw bad("header length \(n) past the end of the file") }
        let start = 8 + Int(n)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8 ..< start)) as? [String: Any]
        else { throw bad("header is not a JSON object") }
        var out: [(Int, String, Tensor)] = []
        let dataBytes = data.count - start
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let code = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offs = info["data_offsets"] as? [Int], offs.count == 2
            else { throw bad("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = codes.first(where: { $0.value == code })?.key else {
                throw bad("entry '\(name)' has unsupported dtype \(code)")
            }
            // Every number below comes from the file: bounds first, then arithmetic that cannot overflow.
            guard offs[0] >= 0, offs[0] <= offs[1], offs[1] <= dataBytes else {
                throw bad("entry '\(name)' has data_offsets \(offs) outside the \(dataBytes) data bytes")
            }
            guard let bytes = SafeTensors.byteCount(shape: shape, dtype: dtype) else {
                throw bad("entry '\(name)' has an impossible shape \(shape)")
            }
            guard bytes == offs[1] - offs[0] else {
                throw bad("entry '\(name)': shape \(shape) of \(code) needs \(bytes) bytes, data_offsets give \(offs[1] - offs[0])")
            }
            let a = start + offs[0], b = start + offs[1]
            let t = try data[a ..< b].withUnsafeBytes { try Tensor.fromBytes($0, shape: shape, dtype: dtype) }
            out.append((offs[0], name, t))
        }
        return out.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }
}

/// Files written by `torch.save` (zip archives holding a pickled dict of tensors).
public enum PyTorchFile {
    final class Sink { var items: NamedTensors = [] }

    /// Loads every tensor of a (possibly nested) dict; nested keys are joined with '.'.
    /// Storages are mapped to the CPU, so checkpoints saved on a GPU load anywhere.
    public static func load(_ url: URL) throws -> NamedTensors {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TorchError("no such file: \(url.path)") }
        let sink = Sink()
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        do {
            try withExtendedLifetime(sink) {
                _ = try checked {
                    ct_load_pickle(url.path, { ctx, name, t in
                        guard let ctx, let name, let t else { return }
                        let s = Unmanaged<Sink>.fromOpaque(ctx).takeUnretainedValue()
                        s.items.append((String(cString: name), Tensor(handle: t)))
                    }, ctx, $0)
                }
            }
        } catch let e as TorchError {
            throw TorchError("\(url.path): cannot read as a torch.save file: \(e.message)")
        }
        return sink.items
    }

    /// Writes a dict name -> tensor that `torch.load` reads.
    public static func save(_ tensors: NamedTensors, to url: URL) throws {
        let names = tensors.map { strdup($0.name) }
        defer { names.forEach { free($0) } }
        let cnames: [UnsafePointer<CChar>?] = names.map { UnsafePointer($0) }
        let hs: [ct_tensor?] = tensors.map { $0.tensor.handle }
        try withExtendedLifetime(tensors) {
            try AtomicFile.write(to: url) { tmp in
                _ = try checked { ct_save_pickle(tmp.path, cnames, hs, Int32(hs.count), $0) }
            }
        }
    }
}

/// Loads .safetensors or a torch.save file, by extension (.safetensors vs anything else).
public func loadTensors(_ url: URL) throws -> NamedTensors {
    url.pathExtension == "safetensors" ? try SafeTensors.load(url) : try PyTorchFile.load(url)
}

/// Saves as .safetensors or a torch.save file, by extension.
public func saveTensors(_ tensors: NamedTensors, to url: URL) throws {
    url.pathExtension == "safetensors" ? try SafeTensors.save(tensors, to: url) : try PyTorchFile.save(tensors, to: url)
}
