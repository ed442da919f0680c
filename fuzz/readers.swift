// libFuzzer target (Swift): the safetensors reader and the CSV reader, the parsers of user files written in
// Swift. MELANOMA_FUZZ_TARGET picks one: safetensors (the default) or csv. Built by scripts/fuzz.sh.
import Foundation
import FuzzCSV
import Torch

let fuzzTarget = ProcessInfo.processInfo.environment["MELANOMA_FUZZ_TARGET"] ?? "safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    switch fuzzTarget {
    case "csv":
        // As CSVTable.read does after reading the file, then every accessor the dataset reader uses.
        guard let table = try? CSVTable.parse(text: String(decoding: bytes, as: UTF8.self), path: "fuzz.csv") else {
            return 0
        }
        for (r, row) in table.rows.enumerated() {
            precondition(row.count == table.header.count, "ragged row accepted")
            for c in row.indices {
                _ = try? table.double(row: r, column: c)
                _ = try? table.int(row: r, column: c)
                _ = CSVTable.isMissing(row[c])
            }
        }
    default:
        // An input starting with "{" is a header, then a NUL, then the data: the length prefix is made here, so
        // mutations that grow or shrink the JSON still reach the entry checks. Any other input is a whole file.
        var file = bytes
        if bytes.first == UInt8(ascii: "{") {
            let cut = bytes.firstIndex(of: 0) ?? bytes.endIndex
            var n = UInt64(cut - bytes.startIndex).littleEndian
            file = Data(bytes: &n, count: 8) + bytes[..<cut] + bytes[(cut == bytes.endIndex ? cut : cut + 1)...]
        }
        if let tensors = try? SafeTensors.load(data: file, name: "fuzz.safetensors") {
            for (_, t) in tensors { _ = t.shape; _ = try? t.isAllFinite() }
        }
    }
    return 0
}
