import Foundation
import Testing
@testable import Imaging
import TestSupport

/// Raw RGB written by a reference script: DIR/<name>.rgb with DIR/<name>.size ("W H").
func readRaw(_ dir: URL, _ name: String) throws -> Image {
    let size = try String(contentsOf: dir.appendingPathComponent("\(name).size"), encoding: .utf8)
        .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    let bytes = try Data(contentsOf: dir.appendingPathComponent("\(name).rgb"))
    return try Image(width: size[0], height: size[1], pixels: [UInt8](bytes))
}

func readFloats(_ url: URL) throws -> [Float] {
    let d = try Data(contentsOf: url)
    return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func writeFloats(_ values: [Float], to url: URL) throws {
    try values.withUnsafeBytes { try Data($0).write(to: url) }
}

/// Per-pixel differences between two images of the same size.
struct PixelDiff: CustomStringConvertible {
    var maxAbs = 0, count = 0, over1 = 0, total = 0
    var meanAbs: Double = 0
    var firstBad: (x: Int, y: Int, c: Int)? = nil
    var fractionOver1: Double { total == 0 ? 0 : Double(over1) / Double(total) }
    var description: String {
        "max |diff| \(maxAbs), mean \(String(format: "%.4f", meanAbs)), differing \(count)/\(total), "
            + ">1: \(String(format: "%.5f", fractionOver1))" + (firstBad.map { " first at x=\($0.x) y=\($0.y) c=\($0.c)" } ?? "")
    }
}

func diff(_ a: Image, _ b: Image) -> PixelDiff? {
    guard a.width == b.width, a.height == b.height else { return nil }
    var d = PixelDiff()
    d.total = a.pixels.count
    var sum = 0
    for i in 0 ..< a.pixels.count {
        let v = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
        if v > 0 {
            d.count += 1
            sum += v
            if d.firstBad == nil { d.firstBad = (i / 3 % a.width, i / 3 / a.width, i % 3) }
        }
        if v > 1 { d.over1 += 1 }
        d.maxAbs = max(d.maxAbs, v)
    }
    d.meanAbs = Double(sum) / Double(max(1, d.total))
    return d
}

/// The reference images, made once per test process.
enum Fixtures {
    static let dir: Result<URL, Error> = Result {
        let dir = try Reference.temporaryDirectory("melanoma-imaging")
        try Reference.run("aug_make_images.py", [dir.path])
        return dir
    }
    static func get() throws -> URL { try dir.get() }
}
