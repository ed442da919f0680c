import Foundation

extension Image {
    /// The JET colour of v in [0, 1] (blue -> cyan -> yellow -> red), as matplotlib and OpenCV draw it.
    public static func jet(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let x = Swift.max(0, Swift.min(1, v.isFinite ? v : 0))
        func c(_ t: Float) -> UInt8 { UInt8((Swift.max(0, Swift.min(1, t)) * 255).rounded()) }
        return (c(1.5 - abs(4 * x - 3)), c(1.5 - abs(4 * x - 2)), c(1.5 - abs(4 * x - 1)))
    }

    /// This image and, to its right, the heat map `map` (width * height values, scaled to [0, 1] by its minimum
    /// and maximum as pytorch-grad-cam's scale_cam_image; a constant map stays at 0) in JET blended over it:
    /// `alpha` * heat + (1 - alpha) * image, as its show_cam_on_image.
    public func camOverlay(_ map: [Float], alpha: Float = 0.5) throws -> Image {
        guard map.count == width * height else {
            throw ImageError("a heat map of \(map.count) values for a \(width)x\(height) image")
        }
        let low = map.min() ?? 0, peak = map.max() ?? 0
        let scale: Float = peak > low ? 1 / (peak - low) : 0
        let outW = 2 * width
        var out = [UInt8](repeating: 0, count: outW * height * 3)
        for y in 0 ..< height {
            for x in 0 ..< width {
                let s = (y * width + x) * 3
                let l = (y * outW + x) * 3, r = (y * outW + width + x) * 3
                let h = Image.jet((map[y * width + x] - low) * scale)
                let heat = [h.0, h.1, h.2]
                for ch in 0 ..< 3 {
                    out[l + ch] = pixels[s + ch]
                    let v = alpha * Float(heat[ch]) + (1 - alpha) * Float(pixels[s + ch])
                    out[r + ch] = UInt8(Swift.max(0, Swift.min(255, v.rounded())))
                }
            }
        }
        return try Image(width: outW, height: height, pixels: out)
    }
}
