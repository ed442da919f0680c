import Basics
import CImage
import Foundation

/// A failure the user can cause (a bad file, a bad size); the message names the file when there is one.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Calls a CImage function and turns its -1 into an `ImageError` (prefixed with `context`).
@inline(__always)
func ciCheck(_ context: @autoclosure () -> String, _ status: Int32) throws {
    if status != 0 {
        throw ImageError("\(context()): \(String(cString: ci_last_error()))")
    }
}

/// An 8-bit RGB image, rows packed top to bottom (height x width x 3), as OpenCV and albumentations hold it.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw ImageError("an RGB image of \(width)x\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Builds an image by letting `fill` write all width*height*3 bytes (no zero-fill first).
    init(width: Int, height: Int, fill: (UnsafeMutablePointer<UInt8>) throws -> Void) rethrows {
        self.width = width
        self.height = height
        let n = width * height * 3
        self.pixels = try [UInt8](unsafeUninitializedCapacity: n) { buf, count in
            try fill(buf.baseAddress!)
            count = n
        }
    }

    /// A filled image (tests, the preview grid's background).
    public static func filled(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8) = (0, 0, 0)) -> Image {
        Image(width: width, height: height) { p in
            for i in 0 ..< width * height {
                p[3 * i] = rgb.0; p[3 * i + 1] = rgb.1; p[3 * i + 2] = rgb.2
            }
        }
    }

    /// The pixel at (x, y) as (r, g, b).
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

// MARK: decoding and encoding

extension Image {
    /// The container, told by the first bytes of the file (never by its name, as cv2.imread).
    public enum Format: String, Sendable {
        case jpeg, png

        /// The file name extensions a file of this format usually has.
        public var extensions: Set<String> { self == .jpeg ? ["jpg", "jpeg", "jpe", "jfif"] : ["png"] }
    }

    /// Stored and decoded sizes of an encoded image, without decoding the pixels.
    public struct DecodePlan: Sendable {
        public let format: Format
        public let storedWidth: Int, storedHeight: Int
        public let width: Int, height: Int
    }

    /// The most pixels a decode may produce (64 Mi: 192 MiB of RGB; the largest ISIC originals have about 24 Mi).
    /// A header is only a claim: a 100-byte PNG can announce 100000 x 100000 pixels, and the decoder's buffers
    /// would be allocated before any pixel is found missing.
    public static let maxDecodedPixels = 1 << 26

    /// Plans a decode whose result keeps both sides >= `minSide` (0: full size); JPEGs at least twice that
    /// size are reduced in libjpeg-turbo's DCT by 1/2, 1/4 or 1/8.
    public static func plan(data: Data, minSide: Int = 0, name: String = "image") throws -> DecodePlan {
        var fmt: Int32 = 0, sw: Int32 = 0, sh: Int32 = 0, ow: Int32 = 0, oh: Int32 = 0
        try data.withUnsafeBytes { raw in
            let p = raw.bindMemory(to: UInt8.self).baseAddress
            try ciCheck(name, ci_decode_plan(p, raw.count, Int32(minSide), &fmt, &sw, &sh, &ow, &oh))
        }
        let plan = DecodePlan(format: fmt == CI_FORMAT_PNG ? .png : .jpeg, storedWidth: Int(sw),
                              storedHeight: Int(sh), width: Int(ow), height: Int(oh))
        guard plan.width > 0, plan.height > 0, plan.width * plan.height <= maxDecodedPixels else {
            throw ImageError("\(name): the \(plan.format.rawValue.uppercased()) header claims \(sw)x\(sh) pixels, "
                + "more than the \(maxDecodedPixels) a decode may produce")
        }
        return plan
    }

    /// The decode plan of a file (its header only): what a quick check of many files needs.
    public static func plan(contentsOf url: URL, minSide: Int = 0) throws -> DecodePlan {
        try plan(data: try readFile(url), minSide: minSide, name: url.path)
    }

    static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw ImageError("\(url.path): cannot read the file (\(error.localizedDescription))")
        }
    }

    /// Decodes JPEG or PNG bytes; `name` is used in error messages.
    public init(data: Data, minSide: Int = 0, name: String = "image") throws {
        let plan = try Image.plan(data: data, minSide: minSide, name: name)
        self = try Image(width: plan.width, height: plan.height) { out in
            try data.withUnsafeBytes { raw in
                let p = raw.bindMemory(to: UInt8.self).baseAddress
                try ciCheck(name, ci_decode(p, raw.count, Int32(plan.width), Int32(plan.height), out))
            }
        }
    }

    /// Decodes a JPEG or PNG file. Missing, empty, corrupt, truncated or non-image files throw an error naming it.
    public init(contentsOf url: URL, minSide: Int = 0) throws {
        try self.init(data: try Image.readFile(url), minSide: minSide, name: url.path)
    }

    public func jpegData(quality: Int = 95) throws -> Data {
        try encoded { rgb, out, size in ci_jpeg_compress(rgb, Int32(width), Int32(height), Int32(quality), out, size) }
    }

    public func pngData() throws -> Data {
        try encoded { rgb, out, size in ci_png_compress(rgb, Int32(width), Int32(height), out, size) }
    }

    private func encoded(
        _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>) -> Int32
    ) throws -> Data {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        try pixels.withUnsafeBufferPointer { try ciCheck("encoding a \(width)x\(height) image", body($0.baseAddress!, &out, &size)) }
        guard let out else { throw ImageError("encoder returned no data") }
        defer { ci_free(out) }
        return Data(bytes: out, count: size)
    }

    /// Writes PNG when the path ends in .png, JPEG otherwise; atomically (a temporary file, then a rename).
    public func write(to url: URL, quality: Int = 95) throws {
        let data = url.pathExtension.lowercased() == "png" ? try pngData() : try jpegData(quality: quality)
        do { try AtomicFile.write(data, to: url) } catch { throw ImageError("\(error)") }
    }
}
