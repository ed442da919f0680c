import Foundation
import Testing

@testable import Imaging

@Suite struct HeatmapTests {
    @Test func jetEnds() {
        #expect(Image.jet(0) == (0, 0, 128))
        #expect(Image.jet(0.5) == (128, 255, 128))
        #expect(Image.jet(1) == (128, 0, 0))
    }

    /// Left half the image, right half the map scaled by its minimum and maximum in JET at 0.5 over it.
    @Test func overlay() throws {
        let img = Image.filled(width: 4, height: 2, rgb: (100, 50, 200))
        let out = try img.camOverlay([1, 1, 1, 1, 1, 1, 1, 3], alpha: 0.5)
        #expect(out.width == 8 && out.height == 2)
        #expect(out[0, 0] == (100, 50, 200))
        #expect(out[4, 0] == (50, 25, 164))   // jet(0) = (0, 0, 128) blended
        #expect(out[7, 1] == (114, 25, 100))  // jet(1) = (128, 0, 0) blended
        let flat = try img.camOverlay([Float](repeating: 2, count: 8))
        #expect(flat[5, 1] == (50, 25, 164))
        #expect(throws: ImageError.self) { try img.camOverlay([0]) }
    }
}
