import Torch

/// The original's `get_trans(img, I)` on NCHW batches: transpose H/W for i >= 4, then by i % 4:
/// 0 identity, 1 flip H (dim 2), 2 flip W (dim 3), 3 both.
public enum TTA {
    public static let variants = 8

    public static func variant(_ x: Tensor, _ i: Int) throws -> Tensor {
        guard (0 ..< variants).contains(i) else { throw TorchError("TTA variant \(i) is outside 0..<8") }
        guard x.rank == 4 else { throw TorchError("TTA expects an NCHW batch, got shape \(x.shape)") }
        let t = i >= 4 ? try x.transpose(2, 3) : x
        switch i % 4 {
        case 1: return try t.flip([2])
        case 2: return try t.flip([3])
        case 3: return try t.flip([2]).flip([3])
        default: return t
        }
    }

    /// Undoes `variant(_, i)` on an NCHW map (Grad-CAM's maps back onto the upright image): the flips, then
    /// the transpose.
    public static func inverse(_ x: Tensor, _ i: Int) throws -> Tensor {
        guard (0 ..< variants).contains(i) else { throw TorchError("TTA variant \(i) is outside 0..<8") }
        var t: Tensor
        switch i % 4 {
        case 1: t = try x.flip([2])
        case 2: t = try x.flip([3])
        case 3: t = try x.flip([3]).flip([2])
        default: t = x
        }
        return i >= 4 ? try t.transpose(2, 3) : t
    }
}
