import ArgumentParser
import Foundation
import Basics
import Imaging
import MelanomaKit

/// Decode + full train transform, images/s, ours (BatchLoader) against albumentations + cv2 in a torch DataLoader
/// with the same worker count (bench/augment_reference.py), on synthetic JPEGs stored at 512 and 768.
struct BenchAugment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Images/s of decode + train transform at 256/384/512 from 512 and 768 JPEGs, vs the python reference."
    )

    @Option(name: .flag("--count"), parsing: .unconditional, help: "Images per stored size.")
    var count = 64
    @Option(name: .flag("--num-workers"), parsing: .unconditional, help: "Loader workers on both sides.")
    var numWorkers = 2
    @Option(name: .flag("--batch-size"), parsing: .unconditional, help: "Batch size on both sides.")
    var batchSize = 16
    @Option(name: .flag("--epochs"), parsing: .unconditional, help: "Measured epochs (after one warm-up epoch).")
    var epochs = 2
    @Option(name: .flag("--stored"), parsing: .upToNextOption, help: "Stored sizes.")
    var stored: [Int] = [512, 768]
    @Option(name: .flag("--sizes"), parsing: .upToNextOption, help: "Output sizes.")
    var sizes: [Int] = [256, 384, 512]
    @Option(name: .flag("--python"), help: "Python with torch, cv2 and albumentations (default: $MELANOMA_PYTHON or .venv/bin/python).")
    var python: String?
    @Option(name: .flag("--malloc"), help: "malloc regime for both sides: keep (raised mmap/trim thresholds) or default.")
    var malloc = "keep"
    @Option(name: .flag("--albumentations2"),
            help: "A folder holding albumentations 2.x (pip install --target): the reference runs the same transform list in 2.x names instead of the original's 0.4.6.")
    var albumentations2: String?
    @Flag(name: .flag("--no-reference"), help: "Skip the python reference.")
    var noReference = false
    @Option(name: .flag("--work-dir"), help: "Folder for the synthetic JPEGs (default: a temporary folder).")
    var workDir: String?
    @Flag(name: .flag("--per-transform"), help: "Also print milliseconds per transform (one thread) at each stored size.")
    var perTransform = false

    func run() throws { try reportingErrors("bench augment") { try body() } }

    func body() throws {
        var env = ProcessInfo.processInfo.environment
        switch malloc {
        case "keep":
            guard MallocRegime.keepFreedBuffers() else { throw ValidationError("mallopt refused the thresholds") }
            env["GLIBC_TUNABLES"] = MallocRegime.tunables
        case "default": env.removeValue(forKey: "GLIBC_TUNABLES")
        default: throw ValidationError("--malloc is keep or default")
        }
        let root = URL(fileURLWithPath: workDir ?? NSTemporaryDirectory()).appendingPathComponent("melanoma-bench-augment")
        if let albumentations2 {
            env["PYTHONPATH"] = URL(fileURLWithPath: albumentations2).standardizedFileURL.path
                + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
        }
        let py = python ?? env["MELANOMA_PYTHON"] ?? FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        let script = FileManager.default.currentDirectoryPath + "/bench/augment_reference.py"
        if !noReference && !FileManager.default.fileExists(atPath: script) {
            throw ValidationError("the python reference \(script) is not here: run from the repository root, or add --no-reference")
        }
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; workers \(numWorkers), batch \(batchSize), "
            + "\(count) images, \(epochs) measured epoch(s) after 1 warm-up; malloc \(malloc)"
            + (malloc == "keep" ? " (mallopt here, GLIBC_TUNABLES=\(MallocRegime.tunables) for python)" : "")
            + "; reference: albumentations " + (albumentations2 == nil ? "0.4.6 (the original's)" : "2.x from \(albumentations2!)"))
        print("stored  size   ours img/s  ours full-decode  python img/s  ratio  ratio(full-decode)"
            + "  |  CPU ms/img: ours full-decode  python  ratio")
        for s in stored {
            let dir = root.appendingPathComponent("\(s)")
            try Synth.writeLesionImages(count: count, side: s, to: dir)
            let items = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jpg") }.sorted()
                .map { Sample(imageName: $0, filepath: dir.appendingPathComponent($0).path) }
            if perTransform { try profile(URL(fileURLWithPath: items[0].filepath)) }
            for size in sizes {
                let ours = try measure(items, size: size, dct: true)
                let full = try measure(items, size: size, dct: false)
                var ref: (rate: Double, cpuMs: Double)? = nil
                if !noReference {
                    ref = try reference(py, script, dir.path, size: size, env: env)
                }
                let r = ref.map { String(format: "%5.2fx", ours.rate / $0.rate) } ?? "  -  "
                let rf = ref.map { String(format: "%5.2fx", full.rate / $0.rate) } ?? "  -  "
                let cpu = ref.map { String(format: "%6.1f  %5.2fx", $0.cpuMs, $0.cpuMs / full.cpuMs) } ?? "     -      -  "
                print(String(format: "%6d  %4d  %11.1f  %16.1f  %12@  %@  %@  |  %26.1f  %@", s, size, ours.rate, full.rate,
                             ref.map { String(format: "%.1f", $0.rate) } ?? "-", r, rf, full.cpuMs, cpu))
            }
        }
    }

    /// CPU milliseconds this thread has used so far.
    func threadCPUms() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    /// CPU seconds this process has used so far (user + system, all threads).
    func cpuSeconds() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Images per second (wall) and CPU milliseconds per image (all threads) over the measured epochs. On a machine
    /// other work shares, the CPU time moves much less than the wall time; both sides report it.
    func measure(_ items: [Sample], size: Int, dct: Bool) throws -> (rate: Double, cpuMs: Double) {
        var t = AugmentConfig.train(imageSize: size)
        t.dctScaling = dct
        let loader = try BatchLoader(samples: items, transform: t,
                                     config: LoaderConfig(batchSize: batchSize, numWorkers: numWorkers, training: true))
        var seconds = 0.0, cpu = 0.0, images = 0
        for e in 0 ... epochs {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
            let it = loader.iterator(seed: UInt64(e + 1))
            var n = 0
            while let b = try it.nextBatch() { n += b.count }
            if e > 0 {
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                cpu += cpuSeconds() - cpuStart
                images += n
            }
        }
        return (Double(images) / seconds, cpu * 1000 / Double(images))
    }

    /// Milliseconds per step kind at the stored size, on this thread, over the plans of 200 samples. Counted in this
    /// thread's CPU time, so other work on the machine hardly moves it (the wall clock would count its time slices).
    func profile(_ file: URL) throws {
        // OpenCV on one thread, as the loader runs it, so no part of a step can run on a thread this clock misses.
        ImageLibraries.setOpenCVThreads(1)
        let image = try Image(contentsOf: file)
        var total: [String: (Double, Int)] = [:]
        let p = AugmentPipeline(.train(imageSize: 384))
        for i in 0 ..< 200 {
            var rng = SampleRandom(seed: 5, index: i)
            var x = image
            for step in p.plan(using: &rng) {
                let name = String("\(step)".prefix { $0.isLetter })
                let t0 = threadCPUms()
                x = try AugmentPipeline.applyOne(step, to: x)
                let ms = threadCPUms() - t0
                total[name, default: (0, 0)].0 += ms
                total[name, default: (0, 0)].1 += 1
            }
        }
        let t0 = threadCPUms()
        for _ in 0 ..< 20 { _ = try Image(contentsOf: file) }
        let decode = (threadCPUms() - t0) / 20
        print("per transform at \(image.width)x\(image.height) (ms per call, calls in 200 samples): decode \(String(format: "%.1f", decode))")
        for (k, v) in total.sorted(by: { $0.value.0 > $1.value.0 }) {
            print(String(format: "  %-18@ %7.2f ms x %3d = %7.1f ms", k as NSString, v.0 / Double(v.1), v.1, v.0))
        }
    }

    func reference(_ py: String, _ script: String, _ dir: String, size: Int, env: [String: String]) throws -> (rate: Double, cpuMs: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = [script, dir, "\(size)", "\(numWorkers)", "\(batchSize)", "\(epochs + 1)"]
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: o, as: UTF8.self).split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let rate = json["images_per_s"] as? Double, let cpuMs = json["cpu_ms_per_image"] as? Double
        else {
            throw ValidationError("python reference failed (\(p.terminationStatus)): \(String(decoding: e, as: UTF8.self).suffix(800))")
        }
        return (rate, cpuMs)
    }
}
