import CImage
import Foundation

struct JPEGEncodeError: Error, CustomStringConvertible { let description: String }

/// Encodes an RGB8 buffer with libturbojpeg (4:2:0). The images branch has its own encoder; merge them later.
enum SynthJPEG {
    static func encode(rgb: [UInt8], width: Int, height: Int, quality: Int = 90) throws -> Data {
        precondition(rgb.count == width * height * 3, "RGB buffer size")
        var out: UnsafeMutablePointer<UInt8>?
        var len = 0
        var err: UnsafeMutablePointer<CChar>?
        let rc = rgb.withUnsafeBufferPointer {
            ci_encode_jpeg_rgb($0.baseAddress, Int32(width), Int32(height), Int32(quality), &out, &len, &err)
        }
        defer { ci_free_buffer(out); ci_free_buffer(err) }
        guard rc == 0, let out else {
            throw JPEGEncodeError(description: "JPEG encoding failed: \(err.map { String(cString: $0) } ?? "unknown error")")
        }
        return Data(bytes: out, count: len)
    }
}
