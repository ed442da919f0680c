import Foundation
import Testing
@testable import Imaging
import TestSupport

/// Decoding against cv2.imread (the original's decoder, opencv-python-headless's bundled libjpeg-turbo) and
/// the errors a user can cause.
@Suite(.serialized) struct DecodeTests {
    /// Same libjpeg-turbo algorithms (accurate DCT, fancy upsampling); the wheel's libjpeg-turbo release may differ
    /// from Debian's, so allow 1 level on a tiny share of samples and say what differed.
    func expectClose(_ file: String, _ reference: String, minSide: Int = 0) throws {
        let dir = try Fixtures.get()
        let ours = try Image(contentsOf: dir.appendingPathComponent(file), minSide: minSide)
        let ref = try readRaw(dir, reference)
        let d = try #require(diff(ours, ref), "\(file): size \(ours.width)x\(ours.height) vs cv2 \(ref.width)x\(ref.height)")
        #expect(d.maxAbs <= 1 && d.fractionOver1 == 0 && Double(d.count) <= 0.001 * Double(d.total),
                "decode \(file) (minSide \(minSide)) vs cv2.imread: \(d)")
    }

    @Test func colourJPEGMatchesCv2() throws { try expectClose("photo.jpg", "photo") }
    @Test func grayJPEGBecomesRGB() throws { try expectClose("gray.jpg", "gray") }
    @Test func cmykJPEGBecomesRGB() throws { try expectClose("cmyk.jpg", "cmyk") }
    @Test func pngDropsAlphaLikeCv2() throws { try expectClose("alpha.png", "alpha") }
    @Test func fullSizeWhenNotTwiceAsLarge() throws { try expectClose("big.jpg", "big", minSide: 512) }
    @Test func dctHalfMatchesReducedColor2() throws { try expectClose("big.jpg", "big.half", minSide: 384) }
    @Test func dctQuarterMatchesReducedColor4() throws { try expectClose("big.jpg", "big.quarter", minSide: 192) }

    @Test func planPicksLargestReductionKeepingTheSize() throws {
        let data = try Data(contentsOf: Fixtures.get().appendingPathComponent("big.jpg"))
        for (need, side) in [(0, 768), (768, 768), (500, 768), (384, 384), (256, 384), (192, 192), (100, 192), (96, 96), (10, 96)] {
            let plan = try Image.plan(data: data, minSide: need)
            #expect(plan.width == side && plan.height == side, "768 for \(need): got \(plan.width)")
            #expect(plan.storedWidth == 768)
        }
    }

    func expectError(_ name: String, _ bytes: Data?, contains: String) throws {
        let dir = try Reference.temporaryDirectory("melanoma-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        if let bytes { try bytes.write(to: url) }
        do {
            _ = try Image(contentsOf: url)
            Issue.record("\(name): decoded without error")
        } catch let e as ImageError {
            #expect(e.description.contains(url.path), "error does not name the file: \(e)")
            #expect(e.description.contains(contains), "\(name): \(e)")
        }
    }

    @Test func userErrorsNameTheFile() throws {
        let jpeg = try Data(contentsOf: Fixtures.get().appendingPathComponent("photo.jpg"))
        let png = try Data(contentsOf: Fixtures.get().appendingPathComponent("alpha.png"))
        try expectError("empty.jpg", Data(), contains: "empty")
        try expectError("truncated.jpg", jpeg.prefix(jpeg.count / 2), contains: "JPEG")
        try expectError("headeronly.jpg", jpeg.prefix(40), contains: "JPEG")
        var corrupt = jpeg
        for i in stride(from: 700, to: corrupt.count - 2, by: 7) { corrupt[i] = 0xFF }
        try expectError("corrupt.jpg", corrupt, contains: "JPEG")
        try expectError("notes.jpg", Data("image_name,target\nISIC_1,0\n".utf8), contains: "not a JPEG or PNG")
        try expectError("truncated.png", png.prefix(png.count / 2), contains: "PNG")
        try expectError("missing.jpg", nil, contains: "cannot read")
    }

    @Test func pngRoundTripIsExactAndJPEGIsClose() throws {
        let photo = try readRaw(Fixtures.get(), "photo")
        let back = try Image(data: photo.pngData())
        #expect(back == photo)
        let jpeg = try Image(data: photo.jpegData(quality: 95))
        let d = try #require(diff(jpeg, photo))
        #expect(d.meanAbs < 3, "JPEG q95 round trip: \(d)")
    }
}
