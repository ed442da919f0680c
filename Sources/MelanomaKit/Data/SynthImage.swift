import Basics
import Foundation

/// How a synthetic lesion looks. `atypia` in 0...1 drives border irregularity, asymmetry and colour variety;
/// malignant lesions draw it from a higher but overlapping range, so the image signal is real but not trivial.
struct LesionLook {
    enum Family { case nevus, melanoma, keratosis, bcc, scaly, vascular, dermatofibroma }

    var family: Family
    var atypia: Double

    static func family(forDiagnosis d: String) -> Family {
        switch d {
        case "melanoma", "MEL": return .melanoma
        case "seborrheic keratosis", "lentigo NOS", "lichenoid keratosis", "solar lentigo", "BKL": return .keratosis
        case "BCC": return .bcc
        case "AK", "SCC": return .scaly
        case "VASC": return .vascular
        case "DF": return .dermatofibroma
        default: return .nevus
        }
    }
}

typealias RGB = (Float, Float, Float)

private enum Palette {
    static let tan: RGB = (200, 158, 118), lightBrown: RGB = (172, 118, 78), brown: RGB = (138, 86, 56)
    static let darkBrown: RGB = (88, 52, 34), black: RGB = (40, 28, 26), blueGray: RGB = (96, 108, 130)
    static let red: RGB = (186, 72, 72), pink: RGB = (222, 146, 146), white: RGB = (236, 226, 214)
    static let purple: RGB = (122, 52, 92)
    static let melanomaColours: [RGB] = [lightBrown, brown, darkBrown, black, blueGray, red, white]
}

/// Smooth random field on [0,1]^2: random values on a grid, bilinear with smoothstep weights.
struct ValueNoise {
    let grid: Int
    private var values: [Float]

    init(grid: Int, rng: inout SplitMix64) {
        self.grid = max(grid, 2)
        values = (0 ..< self.grid * self.grid).map { _ in Float(rng.unit()) }
    }

    /// The field along row v, interpolated in y once so a pixel only interpolates in x.
    func row(_ v: Float, into out: inout [Float]) {
        let y = min(max(v, 0), 1) * Float(grid - 1)
        let j = min(Int(y), grid - 2)
        var fy = y - Float(j)
        fy = fy * fy * (3 - 2 * fy)
        for i in 0 ..< grid { out[i] = values[j * grid + i] + (values[(j + 1) * grid + i] - values[j * grid + i]) * fy }
    }

    func at(row: [Float], _ u: Float) -> Float {
        let x = min(max(u, 0), 1) * Float(grid - 1)
        let i = min(Int(x), grid - 2)
        var fx = x - Float(i)
        fx = fx * fx * (3 - 2 * fx)
        return row[i] + (row[i + 1] - row[i]) * fx
    }
}

/// Draws one dermoscopy-like RGB8 image (HxWx3, row-major): skin, optional dermoscope vignette, the lesion, hairs.
enum LesionPainter {
    static func draw(size: Int, look: LesionLook, skinTone: Double, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let n = size, fn = Float(size)
        var pixels = [UInt8](repeating: 0, count: n * n * 3)

        // Skin: a tone per patient, slow blotches and a light gradient.
        let skin: RGB = (Float(236 - 40 * skinTone), Float(190 - 55 * skinTone), Float(170 - 60 * skinTone))
        let skinNoise = ValueNoise(grid: 4, rng: &rng)
        let gx = Float(rng.uniform(-12, 12)), gy = Float(rng.uniform(-12, 12))
        let vignette = rng.chance(0.35) ? Float(rng.uniform(0.44, 0.62)) : nil

        // Lesion geometry: radius as a function of angle, lumpier with atypia.
        let a = Float(look.atypia)
        let baseR = Float(rng.uniform(0.14, 0.30)) * (1 + 0.25 * a)
        let cx = 0.5 + Float(rng.uniform(-0.08, 0.08)), cy = 0.5 + Float(rng.uniform(-0.08, 0.08))
        let bins = 256
        var radius = [Float](repeating: baseR, count: bins)
        var harmonics: [(k: Float, amp: Float, phase: Float)] = [(2, Float(rng.uniform(0.02, 0.12)), Float(rng.uniform(0, 6.3)))]
        for k in 3 ... 12 {
            let amp = (0.01 + 0.24 * a * a) * Float(rng.uniform(0, 1.0)) / Float(k - 1)
            harmonics.append((Float(k), amp, Float(rng.uniform(0, 6.3))))
        }
        for b in 0 ..< bins {
            let t = Float(b) / Float(bins) * 2 * .pi
            var f: Float = 1
            for h in harmonics { f += h.amp * cos(h.k * t + h.phase) }
            radius[b] = baseR * max(f, 0.35)
        }
        let maxR = radius.max() ?? baseR
        // Edge softness varies around the border for atypical lesions.
        let edgeBase = 0.05 + 0.12 * a * Float(rng.unit()), edgeVar = 0.15 * a
        let edgePhase = Float(rng.uniform(0, 6.3))

        // Colours: a ramp indexed by a noise field mixed with the distance from the centre.
        var ramp: [RGB]
        var radialWeight: Float = 0.7
        var opacity = Float(rng.uniform(0.75, 0.95))
        switch look.family {
        case .nevus, .melanoma:
            let count = 2 + Int((Double(a) * 3.5 * rng.uniform(0.6, 1.0)).rounded())
            ramp = [[Palette.tan, Palette.lightBrown, Palette.brown, Palette.darkBrown].randomElement(using: &rng) ?? Palette.brown]
            var pool = a > 0.35 ? Palette.melanomaColours : [Palette.lightBrown, Palette.brown, Palette.darkBrown]
            while ramp.count < count && !pool.isEmpty { ramp.append(pool.remove(at: rng.below(pool.count))) }
            radialWeight = 0.75 - 0.6 * a
            if look.family == .nevus && rng.chance(0.4) { opacity *= 0.7 }
        case .keratosis: ramp = [Palette.tan, Palette.lightBrown, Palette.brown]; radialWeight = 0.2
        case .bcc: ramp = [Palette.pink, Palette.white, Palette.blueGray, Palette.red]; radialWeight = 0.3
        case .scaly: ramp = [Palette.pink, Palette.red, Palette.white]; radialWeight = 0.2
        case .vascular: ramp = [Palette.red, Palette.purple, Palette.darkBrown]; radialWeight = 0.4
        case .dermatofibroma: ramp = [Palette.white, Palette.tan, Palette.lightBrown, Palette.brown]; radialWeight = 0.9
        }
        let colourNoise = ValueNoise(grid: 3 + Int(7 * a) + rng.below(3), rng: &rng)
        // Asymmetry: a dark blotch pushed off-centre.
        let blotchAngle = Float(rng.uniform(0, 6.3))
        let blotchR = baseR * (0.15 + 0.5 * a)
        let bx = cx + cos(blotchAngle) * baseR * 0.45 * a, by = cy + sin(blotchAngle) * baseR * 0.45 * a
        let blotchStrength = Float(0.9 * a)
        let hashSeed = UInt32(truncatingIfNeeded: rng.next())

        var skinRow = [Float](repeating: 0, count: skinNoise.grid)
        var colourRow = [Float](repeating: 0, count: colourNoise.grid)
        let blotchCut = 12 * blotchR * blotchR  // exp(-6): below one grey level
        let vignette2 = vignette.map { $0 * $0 }
        pixels.withUnsafeMutableBufferPointer { px in
            for y in 0 ..< n {
                let v = (Float(y) + 0.5) / fn
                skinNoise.row(v, into: &skinRow)
                colourNoise.row(v, into: &colourRow)
                for x in 0 ..< n {
                    let u = (Float(x) + 0.5) / fn
                    let s = 1 + (skinNoise.at(row: skinRow, u) - 0.5) * 0.12
                    var r = skin.0 * s + gx * (u - 0.5), g = skin.1 * s + gy * (v - 0.5), bl = skin.2 * s
                    let dx = u - cx, dy = v - cy
                    let dist = (dx * dx + dy * dy).squareRoot()
                    if dist < maxR * 1.4 {
                        let theta = atan2(dy, dx)
                        let bin = (Int((theta + .pi) / (2 * .pi) * Float(bins)) + bins) % bins
                        let d = dist / radius[bin]
                        let edge = edgeBase + edgeVar * (0.5 + 0.5 * sin(3 * theta + edgePhase))
                        let alpha = smoothstep(1 + edge, 1 - edge, d) * opacity
                        if alpha > 0 {
                            let t0 = radialWeight * (1 - min(d, 1)) + (1 - radialWeight) * colourNoise.at(row: colourRow, u)
                            var c = rampColour(ramp, t0)
                            let bdx = u - bx, bdy = v - by
                            let b2 = bdx * bdx + bdy * bdy
                            if blotchStrength > 0.01 && b2 < blotchCut {
                                let blot = blotchStrength * exp(-b2 / (2 * blotchR * blotchR))
                                c = (c.0 * (1 - 0.6 * blot), c.1 * (1 - 0.65 * blot), c.2 * (1 - 0.5 * blot))
                            }
                            if look.family == .dermatofibroma && d < 0.35 { c = mix(c, Palette.white, 0.6 * (1 - d / 0.35)) }
                            r += (c.0 - r) * alpha
                            g += (c.1 - g) * alpha
                            bl += (c.2 - bl) * alpha
                        }
                    }
                    if let vignette, let vignette2 {
                        let rr2 = (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5)
                        if rr2 > vignette2 {
                            let k = 1 - smoothstep(vignette, vignette + 0.06, rr2.squareRoot()) * 0.92
                            r *= k; g *= k; bl *= k
                        }
                    }
                    let noise = Float(hash(UInt32(x), UInt32(y), hashSeed) % 9) - 4
                    let o = (y * n + x) * 3
                    px[o] = clampByte(r + noise)
                    px[o + 1] = clampByte(g + noise)
                    px[o + 2] = clampByte(bl + noise)
                }
            }
        }
        drawHairs(&pixels, size: n, rng: &rng)
        return pixels
    }

    private static func drawHairs(_ pixels: inout [UInt8], size n: Int, rng: inout SplitMix64) {
        let roll = rng.unit()
        let count = roll < 0.6 ? 0 : (roll < 0.9 ? 1 + rng.below(3) : 4 + rng.below(5))
        let width = max(1, n / 160)
        for _ in 0 ..< count {
            let p0 = (rng.unit(), rng.unit()), p1 = (rng.unit(), rng.unit()), p2 = (rng.unit(), rng.unit())
            let shade = UInt8(25 + rng.below(40))
            let steps = n * 2
            for s in 0 ... steps {
                let t = Double(s) / Double(steps)
                let x = (1 - t) * (1 - t) * p0.0 + 2 * (1 - t) * t * p1.0 + t * t * p2.0
                let y = (1 - t) * (1 - t) * p0.1 + 2 * (1 - t) * t * p1.1 + t * t * p2.1
                let px = Int(x * Double(n)), py = Int(y * Double(n))
                for yy in py ..< py + width where yy >= 0 && yy < n {
                    for xx in px ..< px + width where xx >= 0 && xx < n {
                        let o = (yy * n + xx) * 3
                        pixels[o] = shade; pixels[o + 1] = shade &+ 8; pixels[o + 2] = shade &+ 4
                    }
                }
            }
        }
    }

    private static func rampColour(_ ramp: [RGB], _ t: Float) -> RGB {
        guard ramp.count > 1 else { return ramp.first ?? Palette.brown }
        let x = min(max(t, 0), 0.9999) * Float(ramp.count - 1)
        let i = Int(x)
        return mix(ramp[i], ramp[i + 1], x - Float(i))
    }

    private static func mix(_ a: RGB, _ b: RGB, _ t: Float) -> RGB {
        (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t)
    }

    private static func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
        let t = min(max((x - e0) / (e1 - e0), 0), 1)
        return t * t * (3 - 2 * t)
    }

    private static func clampByte(_ v: Float) -> UInt8 { UInt8(min(max(v.rounded(), 0), 255)) }

    private static func hash(_ x: UInt32, _ y: UInt32, _ seed: UInt32) -> UInt32 {
        var h = x &* 0x8DA6_B343 ^ y &* 0xD816_3841 ^ seed &* 0xCB1A_B31F
        h ^= h >> 13
        h = h &* 0x5BD1_E995
        return h ^ (h >> 15)
    }
}
