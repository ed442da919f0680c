import Foundation
import Testing
@testable import Imaging
import TestSupport

/// Images are input: a header's size is a claim that is bounded before anything is allocated, and the pixels
/// are the ones cv2.imread shows (EXIF orientation applied).
@Suite(.serialized) struct HostileImageTests {
    /// A PNG holding only a signature and an IHDR that claims `width` x `height` RGB pixels.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        let body: [UInt8] = Array("IHDR".utf8) + be(width) + be(height) + [8, 2, 0, 0, 0]
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + body + be(crc32(body))
            + be(8) + idat + be(crc32(idat)) + be(0) + Array("IEND".utf8) + be(crc32(Array("IEND".utf8))))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0 ..< 8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    @Test func hugeClaimedSizeIsAnErrorNamingTheFile() throws {
        let dir = try Reference.temporaryDirectory("img-huge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ISIC_0000001.jpg")  // a PNG named .jpg, as in the report
        try HostileImageTests.pngHeader(width: 100_000, height: 100_000).write(to: url)
        for attempt in [{ _ = try Image(contentsOf: url) }, { _ = try Image.plan(contentsOf: url) }] {
            #expect { try attempt() } throws: { e in
                let text = "\(e)"
                return e is ImageError && text.contains(url.path) && text.contains("100000x100000")
            }
        }
    }

    @Test func sizeUnderTheCapIsPlannedNormally() throws {
        let plan = try Image.plan(data: HostileImageTests.pngHeader(width: 4000, height: 3000))
        #expect(plan.width == 4000 && plan.height == 3000)
    }

    /// Inserts an APP1 Exif segment (big-endian TIFF, one IFD0 entry: Orientation) right after SOI.
    static func withOrientation(_ jpeg: Data, _ orientation: UInt16, littleEndian: Bool = false) -> Data {
        func u16(_ v: UInt16) -> [UInt8] { littleEndian ? [UInt8(v & 0xff), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xff)] }
        func u32(_ v: UInt32) -> [UInt8] {
            littleEndian ? [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
                : [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        let tiff: [UInt8] = (littleEndian ? Array("II".utf8) : Array("MM".utf8)) + u16(42) + u32(8)
            + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0] + u32(0)
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let len = UInt16(payload.count + 2)
        var out = Data(jpeg.prefix(2))
        out.append(contentsOf: [0xFF, 0xE1, UInt8(len >> 8), UInt8(len & 0xff)] + payload)
        out.append(jpeg.dropFirst(2))
        return out
    }

    /// Inserts an eXIf chunk (big-endian TIFF, Orientation only) after a PNG's IHDR.
    static func withExifChunk(_ png: Data, _ orientation: UInt16) -> Data {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        let tiff: [UInt8] = Array("MM".utf8) + be16(42) + be32(8) + be16(1) + be16(0x0112) + be16(3) + be32(1)
            + be16(orientation) + [0, 0] + be32(0)
        let body = Array("eXIf".utf8) + tiff
        var out = Data(png.prefix(33))  // signature + IHDR
        out.append(contentsOf: be32(UInt32(tiff.count)) + body + be32(crc32(body)))
        out.append(png.dropFirst(33))
        return out
    }

    /// A 40x24 image with distinct corners, so every orientation gives a different result.
    static func sample() -> Image {
        var img = Image.filled(width: 40, height: 24, rgb: (20, 20, 20))
        for y in 0 ..< 24 {
            for x in 0 ..< 40 {
                let i = (y * 40 + x) * 3
                img.pixels[i] = UInt8(x * 6)
                img.pixels[i + 1] = UInt8(y * 10)
                img.pixels[i + 2] = x < 10 && y < 6 ? 250 : 30
            }
        }
        return img
    }

    @Test func exifOrientationIsAppliedAsCv2Imread() throws {
        let dir = try Reference.temporaryDirectory("img-exif")
        defer { try? FileManager.default.removeItem(at: dir) }
        let jpeg = try HostileImageTests.sample().jpegData(quality: 95)
        var files: [(Int, Bool, URL)] = []
        for o in 1 ... 8 {
            for le in [false, true] where o == 6 || !le {
                let url = dir.appendingPathComponent("o\(o)\(le ? "le" : "be").jpg")
                try HostileImageTests.withOrientation(jpeg, UInt16(o), littleEndian: le).write(to: url)
                files.append((o, le, url))
            }
        }
        // A PNG with an eXIf chunk (orientation 6) before IDAT: cv2.imread turns it too.
        let png = try HostileImageTests.sample().pngData()
        let pngURL = dir.appendingPathComponent("o6png.png")
        try HostileImageTests.withExifChunk(png, 6).write(to: pngURL)
        files.append((6, false, pngURL))
        try Reference.run("imaging_exif.py", files.map(\.2.path))
        for (o, le, url) in files {
            let ours = try Image(contentsOf: url)
            let plan = try Image.plan(contentsOf: url)
            #expect(plan.width == ours.width && plan.height == ours.height)
            #expect(ours.width == (o >= 5 ? 24 : 40), "orientation \(o): \(ours.width)x\(ours.height)")
            let ref = try readRaw(dir, url.deletingPathExtension().lastPathComponent)
            let d = try #require(diff(ours, ref), "orientation \(o): \(ours.width)x\(ours.height) vs cv2 \(ref.width)x\(ref.height)")
            #expect(d.maxAbs <= 1, "orientation \(o)\(le ? " (II)" : ""): \(d)")
        }
    }

    @Test func brokenExifIsIgnoredAsByCv2() throws {
        let jpeg = try HostileImageTests.sample().jpegData(quality: 95)
        var bad = HostileImageTests.withOrientation(jpeg, 6)
        bad[2 + 4 + 6 + 4] = 0xFF  // IFD0 offset points far past the segment
        bad[2 + 4 + 6 + 5] = 0xFF
        let img = try Image(data: bad)
        #expect(img.width == 40 && img.height == 24)
    }
}
