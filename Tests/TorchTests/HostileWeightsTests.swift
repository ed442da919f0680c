import Foundation
import Testing
import TestSupport
import Torch
#if canImport(Glibc)
import Glibc
#endif

/// Weight files written by someone else are input: every malformed header is an error naming the file,
/// never a trap; a full disk during a checkpoint write is an error, never std::terminate.
@Suite("hostile weight files", .serialized) struct HostileWeightsTests {
    /// A safetensors file with `header` as its JSON and `dataBytes` zero bytes after it.
    func safetensors(_ header: String, dataBytes: Int = 16) throws -> URL {
        let dir = try Reference.temporaryDirectory("st-hostile")
        let url = dir.appendingPathComponent("w.safetensors")
        var d = Data()
        var n = UInt64(header.utf8.count).littleEndian
        d.append(Data(bytes: &n, count: 8))
        d.append(Data(header.utf8))
        d.append(Data(count: dataBytes))
        try d.write(to: url)
        return url
    }

    @Test(arguments: [
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#,
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775807]}}"#,
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
        #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
        #"{"a":{"dtype":"F64","shape":[3037000500,3037000500],"data_offsets":[0,8]}}"#,
        #"{"a":{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}}"#,
        #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
        #"{"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}}"#,
        #"{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#,
        #"[1,2,3]"#,
    ])
    func malformedSafetensorsHeaderIsAnError(header: String) throws {
        let url = try safetensors(header)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect { try SafeTensors.load(url) } throws: { "\($0)".contains(url.path) }
    }

    @Test func wellFormedHeaderStillLoads() throws {
        let url = try safetensors(#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let t = try SafeTensors.load(url)
        #expect(t.map(\.name) == ["a"])
        #expect(try t[0].tensor.toArray(Float.self) == [0, 0, 0, 0])
    }

    @Test func byteCountRefusesOverflowAndNegatives() {
        #expect(SafeTensors.byteCount(shape: [2, 3], dtype: .float32) == 24)
        #expect(SafeTensors.byteCount(shape: [], dtype: .float64) == 8)
        #expect(SafeTensors.byteCount(shape: [Int.max, 2], dtype: .uint8) == nil)
        #expect(SafeTensors.byteCount(shape: [-1], dtype: .uint8) == nil)
        #expect(throws: TorchError.self) {
            try [UInt8](repeating: 0, count: 8).withUnsafeBytes {
                try Tensor.fromBytes($0, shape: [1 << 40, 1 << 40], dtype: .float32)
            }
        }
    }

    @Test func garbagePthIsAnErrorNamingTheFile() throws {
        let dir = try Reference.temporaryDirectory("pth-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.pth")
        try Data("PK\u{3}\u{4}not really a zip".utf8).write(to: url)
        #expect { try PyTorchFile.load(url) } throws: { "\($0)".contains(url.path) }
    }

    /// RLIMIT_FSIZE makes every write past 64 KiB fail with EFBIG (SIGXFSZ ignored): a full disk, in process.
    @Test func fullDiskDuringCheckpointWriteIsAnErrorAndLeavesNoTemporary() throws {
        let dir = try Reference.temporaryDirectory("pth-full")
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = try Tensor.randn([512, 512])  // 1 MiB
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var small = old
        small.rlim_cur = 64 << 10
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
            signal(SIGXFSZ, oldHandler)
        }
        for name in ["w.pth", "w.safetensors"] {
            let url = dir.appendingPathComponent(name)
            #expect(throws: (any Error).self) { try saveTensors([("w", big)], to: url) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
        }
    }

    @Test func nonFiniteTensorsAreFound() throws {
        let ok = try Tensor([1, 2] as [Float]), bad = try Tensor([1, .nan] as [Float])
        let inf = try Tensor([Float.infinity], shape: [1])
        #expect(try firstNonFinite([("a", ok), ("b", try Tensor([1, 2] as [Int64]))]) == nil)
        #expect(try firstNonFinite([("a", ok), ("b", bad), ("c", inf)]) == "b")
        #expect(try firstNonFinite([("c", inf)]) == "c")
    }

    /// Inputs that once crashed the fuzzer (fuzz/regressions/safetensors, header-shaped as fuzz/readers.swift
    /// reads them) are errors now.
    @Test func fuzzerRegressionsAreErrors() throws {
        let dir = Reference.packageRoot.appendingPathComponent("fuzz/regressions/safetensors")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!names.isEmpty)
        for name in names {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(name))
            let cut = bytes.firstIndex(of: 0) ?? bytes.endIndex
            var n = UInt64(cut - bytes.startIndex).littleEndian
            let file = Data(bytes: &n, count: 8) + bytes[..<cut] + bytes[(cut == bytes.endIndex ? cut : cut + 1)...]
            #expect(throws: TorchError.self, "\(name)") { try SafeTensors.load(data: file, name: name) }
        }
    }

    /// torch.save files that once exhausted memory or crashed under the fuzzer (fuzz/regressions/pickle) are
    /// errors now. The first: a BINUNICODE length of 2^32 - 5 wrapped the opcode size to 0, so the OrderedDict
    /// rewrite never advanced and grew its stack until 17 GB were allocated.
    @Test func pickleFuzzerRegressionsAreErrors() throws {
        let dir = Reference.packageRoot.appendingPathComponent("fuzz/regressions/pickle")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!names.isEmpty)
        for name in names {
            let url = dir.appendingPathComponent(name)
            #expect(throws: TorchError.self, "\(name)") { try PyTorchFile.load(url) }
        }
    }
}
