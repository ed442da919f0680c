import Foundation
import Testing
import TestSupport

/// The command line as a user meets it, run as a user runs it: the built `melanoma` binary on a small synthetic
/// dataset. What it says (backbone origin, overrides, resume, interruption, errors by flag) and how it exits.
@Suite(.serialized) struct CLITests {
    static let binary = Reference.packageRoot.appendingPathComponent(".build/debug/melanoma")

    /// Runs the binary; `interruptAfter` sends SIGINT once stdout contains that text.
    static func run(_ args: [String], interruptAfter: String? = nil) throws -> ChildProcess.Result {
        try ChildProcess(binary, args, signalAfter: interruptAfter.map { ($0, SIGINT) }).wait()
    }

    /// A small dataset and the train flags for it (one fold of B0 at 32 px: seconds per epoch).
    static let dataset: Result<URL, Error> = Result {
        let dir = try Reference.temporaryDirectory("melanoma-cli")
        let r = try run(["synth", "--out", dir.appendingPathComponent("data").path, "--size", "32", "--train", "120",
                         "--test", "20", "--seed", "3"])
        guard r.status == 0 else { throw Reference.Failure(description: "synth failed: \(r.err)") }
        return dir
    }

    func trainArgs(_ dir: URL, kernel: String = "cli_b0", epochs: Int = 2, extra: [String] = []) -> [String] {
        ["train", "--kernel-type", kernel, "--data-dir", dir.appendingPathComponent("data").path, "--data-folder", "32",
         "--image-size", "32", "--enet-type", "efficientnet_b0", "--batch-size", "16", "--num-workers", "1",
         "--n-epochs", "\(epochs)", "--fold", "0", "--model-dir", dir.appendingPathComponent("w").path,
         "--log-dir", dir.appendingPathComponent("l").path] + extra
    }

    @Test func trainSaysWhereTheBackboneStartsAndWhatItWrote() throws {
        let dir = try Self.dataset.get()
        let r = try Self.run(trainArgs(dir, kernel: "cli_ext_b0", epochs: 1, extra: ["--DEBUG"]))
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("from random weights"), "\(r.out)")
        #expect(r.out.contains("--DEBUG trains 5 epochs per fold"), "the --DEBUG override is said")
        #expect(r.out.contains("the kernel name says external data"), "an _ext kernel without 2019 data is said")
        #expect(r.out.contains("memory    about"), "the memory check is printed")
        #expect(r.out.contains("cli_ext_b0_best_fold0.pth") && !r.out.contains("fold{k}"), "\(r.out)")
        // Piped, the progress comes as plain lines or not at all, never as terminal control codes.
        #expect(!r.err.contains("\u{1B}[K"))
    }

    @Test func interruptionSaysWhatIsSavedThenResumeContinues() throws {
        let dir = try Self.dataset.get()
        let kernel = "cli_resume"
        let stopped = try Self.run(trainArgs(dir, kernel: kernel, epochs: 3), interruptAfter: "Epoch 2,")  // epoch 1 is saved by then
        #expect(stopped.status == 130, "Ctrl-C exits 130, got \(stopped.status): \(stopped.err)")
        #expect(stopped.err.contains("interrupted: fold 0: epochs 1-"), "\(stopped.err)")
        #expect(stopped.err.contains("--resume"))
        let resumed = try Self.run(trainArgs(dir, kernel: kernel, epochs: 3, extra: ["--resume"]))
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("resume    fold 0: continuing after epoch"), "\(resumed.out)")
        let again = try Self.run(trainArgs(dir, kernel: kernel, epochs: 3, extra: ["--resume"]))
        #expect(again.out.contains("already finished"), "\(again.out)")
        // A setting that changes results is refused, named by its flag.
        let changed = try Self.run(trainArgs(dir, kernel: kernel, epochs: 3, extra: ["--resume", "--use-amp"]))
        #expect(changed.status == 1 && changed.err.contains("--resume:") && changed.err.contains("use-amp"), "\(changed.err)")
    }

    @Test func errorsNameTheFlagAndExitOne() throws {
        let dir = try Self.dataset.get()
        for (extra, flag) in [(["--batch-size", "0"], "--batch-size"), (["--init-lr", "-1"], "--init-lr"),
                              (["--fold", "0,0"], "--fold"), (["--kernel-type", "../x"], "--kernel-type"),
                              (["--enet-type", "efficientnet_b9"], "--enet-type")] {
            var args = trainArgs(dir)
            if let i = args.firstIndex(of: extra[0]) { args[i + 1] = extra[1] } else { args += extra }
            let r = try Self.run(args)
            #expect(r.status == 1, "\(extra) exits \(r.status)")
            #expect(r.err.hasPrefix("train: \(flag)"), "\(extra): \(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "one line: \(r.err)")
        }
    }

    @Test func checkDataDecodesAndReportsByRowAndColumn() throws {
        let dir = try Self.dataset.get()
        let folder = dir.appendingPathComponent("data/jpeg-melanoma-32x32")
        let ok = try Self.run(["check-data", "--data-dir", dir.appendingPathComponent("data").path, "--data-folder", "32"])
        #expect(ok.status == 0 && ok.out.contains("every pixel decoded"), "\(ok.out)\(ok.err)")
        // Damage one image of a copy of the data.
        let copy = dir.appendingPathComponent("damaged")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("data"), to: copy)
        let victim = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("train").path).sorted()[0]
        let path = copy.appendingPathComponent("jpeg-melanoma-32x32/train/\(victim)")
        let bytes = try Data(contentsOf: path)
        try bytes.prefix(bytes.count * 4 / 5).write(to: path)  // the headers stay, the scan is cut
        let bad = try Self.run(["check-data", "--data-dir", copy.path, "--data-folder", "32"])
        #expect(bad.status == 1 && bad.out.contains(path.path) && bad.out.contains("column 'image_name'"), "\(bad.out)")
        let quick = try Self.run(["check-data", "--data-dir", copy.path, "--data-folder", "32", "--quick"])
        #expect(quick.status == 0, "headers alone do not see the truncation")
    }
}
