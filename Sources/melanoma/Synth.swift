import ArgumentParser
import Foundation
import MelanomaKit

/// Writes the built-in synthetic dataset (the default demo data).
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic dataset in the jpeg-melanoma-FxF layout (lesion-like JPEGs, realistic metadata).",
        discussion: """
        Writes OUT/jpeg-melanoma-FxF/{train.csv,test.csv,test_labels.csv,train/,test/} and, with --external, \
        OUT/jpeg-isic2019-FxF/{train.csv,train/}. Same seed, same bytes.
        """
    )

    @Option(name: .flag("--out"), help: "Output folder (the --data-dir of training).")
    var out: String
    @Option(name: .flag("--size"), parsing: .unconditional, help: "Image size F (square JPEGs, folder jpeg-melanoma-FxF).")
    var size = 128
    @Option(name: .flag("--train"), parsing: .unconditional, help: "2020-style training images.")
    var train = 600
    @Option(name: .flag("--test"), parsing: .unconditional, help: "Test images (labels go to test_labels.csv).")
    var test = 200
    @Option(name: .flag("--external"), parsing: .unconditional, help: "ISIC 2019-style external images (0: no external folder).")
    var external = 0
    @Option(name: .flag("--seed"), parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0
    @Option(name: .flag("--malignant-rate"), parsing: .unconditional, help: "Share of melanomas in train and test.")
    var malignantRate = 0.15
    @Option(name: .flag("--quality"), parsing: .unconditional, help: "JPEG quality.")
    var quality = 90

    func run() throws { try reportingErrors("synth") { try body() } }

    func body() throws {
        let config = SynthConfig(outDir: out, size: size, train: train, test: test, external: external, seed: seed,
                                 malignantRate: malignantRate, quality: quality)
        let s = try Synth.generate(config)
        print("train     \(s.trainRows) images, \(s.trainPatients) patients, \(s.trainMalignant) melanomas")
        print("test      \(s.testRows) images, \(s.testPatients) patients, \(s.testMalignant) melanomas (test_labels.csv)")
        if s.externalRows > 0 { print("external  \(s.externalRows) images, \(s.externalMalignant) MEL") }
        let rate = String(format: "%.2f s, %.0f images/s", s.seconds, Double(s.images) / max(s.seconds, 1e-9))
        print("wrote     \(s.images) JPEGs (\(size)x\(size)) to \(out) in \(rate)")
    }
}
