import Foundation
import Testing
import TestSupport

/// predict-image and serve as a user runs them: the built binary after `train` on the CLI tests' dataset.
@Suite(.serialized) struct ImageCLITests {
    static let model: Result<(dir: URL, args: [String]), Error> = Result {
        let dir = try CLITests.dataset.get()
        let data = dir.appendingPathComponent("data").path, w = dir.appendingPathComponent("w-img").path
        let flags = ["--kernel-type", "cli_img", "--data-dir", data, "--data-folder", "32", "--image-size", "32",
                     "--enet-type", "efficientnet_b0", "--use-meta", "--n-meta-dim", "16,8", "--fold", "0",
                     "--model-dir", w, "--batch-size", "16", "--num-workers", "1"]
        let r = try CLITests.run(["train"] + flags + ["--n-epochs", "1", "--log-dir", dir.appendingPathComponent("l").path])
        guard r.status == 0 else { throw Reference.Failure(description: "train failed: \(r.err)") }
        return (dir, flags)
    }

    /// predict-image on the test folder with test.csv as --meta prints what predict writes (<= 1e-5), from the
    /// model folder and {kernel}.json alone; --gradcam writes one overlay per image.
    @Test func predictImageEqualsPredict() throws {
        let (dir, flags) = try ImageCLITests.model.get()
        let subs = dir.appendingPathComponent("subs-img").path
        let p = try CLITests.run(["predict"] + flags + ["--eval", "final", "--n-test", "2", "--sub-dir", subs])
        #expect(p.status == 0, "\(p.err)")
        var want: [String: Double] = [:]
        for line in try String(contentsOfFile: subs + "/sub_cli_img_final.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            want[String(f[0])] = Double(f[1])
        }
        let test = dir.appendingPathComponent("data/jpeg-melanoma-32x32")
        let cams = dir.appendingPathComponent("cams").path
        let r = try CLITests.run(["predict-image", test.appendingPathComponent("test").path, "--model-dir", flags[flags.firstIndex(of: "--model-dir")! + 1],
                                  "--kernel-type", "cli_img", "--eval", "final", "--n-test", "2",
                                  "--meta", test.appendingPathComponent("test.csv").path, "--json", "--gradcam", cams])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == want.count)
        for line in lines {
            let j = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = ((j["image"] as! String) as NSString).lastPathComponent.replacingOccurrences(of: ".jpg", with: "")
            let prob = try #require(j["probability"] as? Double)
            #expect(abs(prob - (want[name] ?? -1)) <= 1e-5, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cams).filter { $0.hasSuffix("_gradcam.png") }.count == want.count)
        // A site the model never saw is refused, naming the field.
        let bad = try CLITests.run(["predict-image", test.appendingPathComponent("test").path, "--model-dir",
                                    flags[flags.firstIndex(of: "--model-dir")! + 1], "--kernel-type", "cli_img", "--eval", "final",
                                    "--site", "elbow"])
        #expect(bad.status == 1 && bad.err.contains("site: 'elbow'"))
    }

    /// serve binds 127.0.0.1, answers /healthz, and stops cleanly on SIGTERM.
    @Test func serveStopsOnSIGTERM() throws {
        let (_, flags) = try ImageCLITests.model.get()
        let serve = try ChildProcess(CLITests.binary, ["serve", "--model-dir", flags[flags.firstIndex(of: "--model-dir")! + 1],
                                                       "--kernel-type", "cli_img", "--eval", "final", "--port", "0", "--n-test", "1"])
        defer { serve.send(SIGKILL) }
        #expect(serve.waitForOutput(containing: "serving", timeout: 60))
        let line = try #require(serve.output.split(separator: "\n").first { $0.hasPrefix("serving") })
        #expect(line.contains("http://127.0.0.1:"))
        let url = String(line.split(separator: " ").first { $0.hasPrefix("http://") }!) + "healthz"
        let health = try ChildProcess(URL(fileURLWithPath: "/usr/bin/curl"), ["-sf", url]).wait()
        #expect(health.status == 0)
        #expect(health.out.contains("\"ok\""))
        serve.send(SIGTERM)
        let stopped = serve.wait()
        #expect(stopped.status == 0)
        #expect(stopped.out.contains("stopped"))
    }
}
