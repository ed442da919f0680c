import ArgumentParser
import Foundation
import Imaging

/// Writes a grid of augmented training samples so a person can see what the model is shown.
struct AugmentPreview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment-preview",
        abstract: "Write a PNG grid of training-augmented samples.",
        discussion: """
        Images come from --images (files or folders of .jpg/.jpeg/.png) or from \
        <data-dir>/jpeg-melanoma-<F>x<F>/train/*.jpg. Each tile is the uint8 image just before Normalize.
        """
    )

    @Option(name: .flag("--images"), parsing: .upToNextOption, help: "Image files or folders.")
    var images: [String] = []
    @Option(name: .flag("--data-dir"), help: "Data root holding jpeg-melanoma-<F>x<F>/train.")
    var dataDir: String?
    @Option(name: .flag("--data-folder"), parsing: .unconditional, help: "Stored resolution F of the data folder.")
    var dataFolder: Int = 512
    @Option(name: .flag("--n"), parsing: .unconditional, help: "Number of samples.") var count: Int = 16
    @Option(name: .flag("--image-size"), parsing: .unconditional, help: "Model input size S.")
    var imageSize: Int = 384
    @Option(name: .flag("--seed"), parsing: .unconditional, help: "Augmentation seed.")
    var seed: UInt64 = 0
    @Option(name: .flag("--epoch"), parsing: .unconditional, help: "Epoch whose augmentation to show.")
    var epoch: Int = 0
    @Flag(name: .flag("--full-decode"), help: "Decode at the stored size (the original) instead of DCT-reduced.")
    var fullDecode = false
    @Option(name: .flag("--out"), help: "Output PNG.")
    var out: String = "grid.png"

    func run() throws { try reportingErrors("augment-preview") { try body() } }

    func body() throws {
        guard count > 0, imageSize > 0 else { throw ValidationError("--n and --image-size must be positive") }
        let files = try PreviewInputs.list(images: images, dataDir: dataDir, dataFolder: dataFolder)
        var config = AugmentConfig.train(imageSize: imageSize)
        config.dctScaling = !fullDecode
        let pipeline = AugmentPipeline(config)
        let columns = Int(Double(count).squareRoot().rounded(.up))
        let rows = (count + columns - 1) / columns
        let gap = 4, tile = imageSize
        let gw = columns * tile + (columns + 1) * gap, gh = rows * tile + (rows + 1) * gap
        var grid = Image.filled(width: gw, height: gh, rgb: (255, 255, 255)).pixels
        for k in 0 ..< count {
            let file = files[k % files.count]
            let image = try Image(contentsOf: URL(fileURLWithPath: file), minSide: config.decodeMinSide)
            var rng = SampleRandom(seed: seed, epoch: epoch, index: k)
            let a = try pipeline.augment(image, using: &rng)
            let x0 = gap + (k % columns) * (tile + gap), y0 = gap + (k / columns) * (tile + gap)
            for y in 0 ..< tile {
                let src = y * tile * 3, dst = ((y0 + y) * gw + x0) * 3
                grid.replaceSubrange(dst ..< dst + tile * 3, with: a.pixels[src ..< src + tile * 3])
            }
        }
        try Image(width: gw, height: gh, pixels: grid).write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(count) samples of \(files.count) image(s), \(imageSize)x\(imageSize), seed \(seed)")
    }
}

enum PreviewInputs {
    /// Image paths from --images (files or folders) or the data folder's train/ directory.
    static func list(images: [String], dataDir: String?, dataFolder: Int) throws -> [String] {
        var roots = images
        if roots.isEmpty, let dataDir {
            roots = ["\(dataDir)/jpeg-melanoma-\(dataFolder)x\(dataFolder)/train"]
        }
        guard !roots.isEmpty else { throw ValidationError("give --images or --data-dir") }
        return try ImagePaths.expand(roots)
    }
}
