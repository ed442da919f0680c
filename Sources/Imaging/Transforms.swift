import CImage

/// Each training transform with its parameters given explicitly (what the parity tests call; the pipeline draws
/// the parameters and calls these). The pixel work is albumentations 0.4.6's functional call, through OpenCV.
extension Image {
    /// Runs a CImage operation that reads self and writes an image of outWidth x outHeight.
    func mapped(_ what: String, width outWidth: Int? = nil, height outHeight: Int? = nil,
                _ body: (UnsafePointer<UInt8>, Int32, Int32, UnsafeMutablePointer<UInt8>) -> Int32) throws -> Image {
        try pixels.withUnsafeBufferPointer { src in
            try Image(width: outWidth ?? width, height: outHeight ?? height) { dst in
                try ciCheck(what, body(src.baseAddress!, Int32(height), Int32(width), dst))
            }
        }
    }

    /// Transpose (code bit 0), vertical flip (bit 1), horizontal flip (bit 2), in that order, then `lut` on every
    /// byte: the first five training transforms in one pass (flips commute with per-pixel LUTs).
    public func dihedral(transpose: Bool = false, verticalFlip: Bool = false, horizontalFlip: Bool = false,
                         lut: [UInt8]? = nil) throws -> Image {
        let code = Int32((transpose ? 1 : 0) | (verticalFlip ? 2 : 0) | (horizontalFlip ? 4 : 0))
        if let lut, lut.count != 256 { throw ImageError("a LUT needs 256 entries, got \(lut.count)") }
        return try mapped("dihedral", width: transpose ? height : width, height: transpose ? width : height) { s, h, w, d in
            if let lut { return lut.withUnsafeBufferPointer { ci_dihedral_lut(s, h, w, code, $0.baseAddress, d) } }
            return ci_dihedral_lut(s, h, w, code, nil, d)
        }
    }

    public func transposed() throws -> Image { try dihedral(transpose: true) }
    public func verticallyFlipped() throws -> Image { try dihedral(verticalFlip: true) }
    public func horizontallyFlipped() throws -> Image { try dihedral(horizontalFlip: true) }

    public func applying(lut: [UInt8]) throws -> Image {
        guard lut.count == 256 else { throw ImageError("a LUT needs 256 entries, got \(lut.count)") }
        return try mapped("LUT") { s, h, w, d in lut.withUnsafeBufferPointer { ci_lut(s, h, w, $0.baseAddress, d) } }
    }

    /// albumentations' brightness_contrast_adjust LUT for uint8 with brightness_by_max: float32
    /// arange * alpha + beta * 255, clipped, truncated.
    public static func brightnessContrastLUT(alpha: Double = 1, beta: Double = 0) -> [UInt8] {
        (0 ..< 256).map { i in
            var v = Float(i)
            if alpha != 1 { v *= Float(alpha) }
            if beta != 0 { v += Float(beta * 255) }
            return UInt8(Swift.min(255, Swift.max(0, v)))
        }
    }

    /// MotionBlur: a line kernel from (xs, ys) to (xe, ye) drawn by cv2.line, normalised, through cv2.filter2D.
    public func motionBlur(kernelSize k: Int, xs: Int, ys: Int, xe: Int, ye: Int) throws -> Image {
        guard k >= 3, k % 2 == 1 else { throw ImageError("motion blur kernel size must be odd and >= 3, got \(k)") }
        var kernel = [Float](repeating: 0, count: k * k)
        try ciCheck("motion blur kernel", ci_motion_kernel(Int32(k), Int32(xs), Int32(ys), Int32(xe), Int32(ye), &kernel))
        return try mapped("motion blur") { s, h, w, d in ci_filter2d(s, h, w, kernel, Int32(k), d) }
    }

    public func medianBlur(kernelSize k: Int) throws -> Image {
        try mapped("median blur") { s, h, w, d in ci_median_blur(s, h, w, Int32(k), d) }
    }

    /// GaussianBlur with sigma 0 (OpenCV derives it from the kernel size).
    public func gaussianBlur(kernelSize k: Int) throws -> Image {
        try mapped("gaussian blur") { s, h, w, d in ci_gaussian_blur(s, h, w, Int32(k), d) }
    }

    /// GaussNoise with the noise field given (height*width*3 values).
    public func addingNoise(_ noise: [Float]) throws -> Image {
        guard noise.count == pixels.count else {
            throw ImageError("gauss noise needs \(pixels.count) values, got \(noise.count)")
        }
        return try mapped("gauss noise") { s, h, w, d in ci_gauss_noise(s, h, w, noise, d) }
    }

    /// `count` samples of N(0, sigma) (normal) or U[0, 1) from OpenCV's generator seeded with `seed`.
    public static func noiseField(seed: UInt64, count: Int, normalSigma sigma: Double? = nil) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: count) { buf, n in
            if let sigma {
                try ciCheck("noise", ci_rng_fill(seed, 1, 0, sigma, buf.baseAddress, count))
            } else {
                try ciCheck("noise", ci_rng_fill(seed, 0, 0, 1, buf.baseAddress, count))
            }
            n = count
        }
    }

    public func opticalDistortion(k: Double, dx: Double = 0, dy: Double = 0) throws -> Image {
        try mapped("optical distortion") { s, h, w, d in ci_optical_distortion(s, h, w, k, dx, dy, d) }
    }

    /// GridDistortion with `numSteps + 1` factors per axis.
    public func gridDistortion(numSteps: Int, xSteps: [Double], ySteps: [Double]) throws -> Image {
        guard xSteps.count == numSteps + 1, ySteps.count == numSteps + 1 else {
            throw ImageError("grid distortion needs \(numSteps + 1) steps per axis, got \(xSteps.count) and \(ySteps.count)")
        }
        return try mapped("grid distortion") { s, h, w, d in ci_grid_distortion(s, h, w, Int32(numSteps), xSteps, ySteps, d) }
    }

    /// ElasticTransform (approximate=False): affine from jittered points (6 values), then the gaussian-filtered
    /// displacement of the uniform fields noiseX/noiseY (height*width values in [0, 1)).
    public func elastic(alpha: Double, sigma: Double, jitter: [Float], noiseX: [Float], noiseY: [Float]) throws -> Image {
        guard jitter.count == 6, noiseX.count == width * height, noiseY.count == width * height else {
            throw ImageError("elastic transform needs 6 jitter values and 2 fields of \(width * height)")
        }
        return try mapped("elastic transform") { s, h, w, d in ci_elastic(s, h, w, alpha, sigma, jitter, noiseX, noiseY, d) }
    }

    /// CLAHE on the L channel of LAB.
    public func clahe(clipLimit: Double, tiles: Int = 8) throws -> Image {
        try mapped("CLAHE") { s, h, w, d in ci_clahe(s, h, w, clipLimit, Int32(tiles), d) }
    }

    public func hsvShift(hue: Double, saturation: Double, value: Double) throws -> Image {
        try mapped("HSV shift") { s, h, w, d in ci_hsv_shift(s, h, w, hue, saturation, value, d) }
    }

    public enum Border: Int32, Sendable, Codable { case constant = 0, reflect101 = 4 }

    /// ShiftScaleRotate: rotation matrix about (W/2, H/2), shifted by (dx*W, dy*H), linear interpolation.
    public func shiftScaleRotate(angle: Double, scale: Double, dx: Double, dy: Double, border: Border) throws -> Image {
        try mapped("shift-scale-rotate") { s, h, w, d in ci_shift_scale_rotate(s, h, w, angle, scale, dx, dy, border.rawValue, d) }
    }

    public func resized(width outW: Int, height outH: Int) throws -> Image {
        guard outW > 0, outH > 0 else { throw ImageError("cannot resize to \(outW)x\(outH)") }
        if outW == width && outH == height { return self }
        return try mapped("resize", width: outW, height: outH) { s, h, w, d in ci_resize(s, h, w, Int32(outH), Int32(outW), d) }
    }

    /// A hole (x1, y1, x2, y2), exclusive ends, as albumentations' Cutout hands to F.cutout.
    public struct Hole: Sendable, Equatable, Codable {
        public var x1, y1, x2, y2: Int
        public init(x1: Int, y1: Int, x2: Int, y2: Int) { self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2 }
    }

    public func cutout(_ holes: [Hole], fill: UInt8 = 0) -> Image {
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            for hole in holes where hole.x2 > hole.x1 && hole.y2 > hole.y1 {
                for y in Swift.max(0, hole.y1) ..< Swift.min(height, hole.y2) {
                    let start = (y * width + Swift.max(0, hole.x1)) * 3
                    let end = (y * width + Swift.min(width, hole.x2)) * 3
                    if end > start { p[start ..< end].update(repeating: fill) }
                }
            }
        }
        return out
    }

    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    /// Normalize (max pixel 255) and HWC -> CHW into `out` (3*height*width floats).
    public func writeNormalizedCHW(into out: UnsafeMutablePointer<Float>,
                                   mean: [Float] = Image.imageNetMean, std: [Float] = Image.imageNetStd) {
        _ = pixels.withUnsafeBufferPointer { ci_normalize_chw($0.baseAddress, Int32(height), Int32(width), mean, std, out) }
    }

    public func normalizedCHW(mean: [Float] = Image.imageNetMean, std: [Float] = Image.imageNetStd) -> [Float] {
        let n = 3 * width * height
        return [Float](unsafeUninitializedCapacity: n) { buf, c in
            writeNormalizedCHW(into: buf.baseAddress!, mean: mean, std: std)
            c = n
        }
    }
}
