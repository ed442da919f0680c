import Basics
import Foundation
import Testing
import TestSupport

/// Data-parallel training with real worker processes on 127.0.0.1: the built-in launcher, torchrun's
/// variables set by hand, and the errors a job can meet.
@Suite(.serialized) struct DistributedCLITests {
    static let probe = Reference.packageRoot.appendingPathComponent(".build/debug/distributed-probe")

    static func job(rank: Int, world: Int, port: Int, extra: [String: String] = [:]) -> [String: String] {
        ["RANK": "\(rank)", "LOCAL_RANK": "\(rank)", "WORLD_SIZE": "\(world)", "LOCAL_WORLD_SIZE": "\(world)",
         "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)", "OMP_NUM_THREADS": "1"].merging(extra) { $1 }
    }

    static func freePort() throws -> Int { try #require(TCPPort.free()) }

    func parameters(_ url: URL) throws -> [String: [Float]] {
        let json = try Reference.run("safetensors_json.py", [url.path])
        return try JSONDecoder().decode([String: [Float]].self, from: Data(json.utf8))
    }

    /// (a) One epoch of two workers (23 rows in global batches of 8, the last split 4 + 3) ends with both
    /// workers holding the parameters one process reaches on the whole batches, for a model without
    /// BatchNorm or dropout; the gathered validation loss is the single process's.
    @Test func twoWorkersStepLikeOneProcessOnTheWholeBatch() throws {
        let dir = try Reference.temporaryDirectory("melanoma-dist-probe")
        let single = try ChildProcess(Self.probe, [dir.path], environment: ["OMP_NUM_THREADS": "1"]).wait()
        #expect(single.status == 0, "\(single.err)")
        let port = try Self.freePort()
        let workers = try (0 ..< 2).map { try ChildProcess(Self.probe, [dir.path], environment: Self.job(rank: $0, world: 2, port: port)) }
        let runs = workers.map { $0.wait() }
        for r in runs { #expect(r.status == 0, "\(r.err)") }
        let one = try parameters(dir.appendingPathComponent("params_single.safetensors"))
        let r0 = try parameters(dir.appendingPathComponent("params_rank0.safetensors"))
        let r1 = try parameters(dir.appendingPathComponent("params_rank1.safetensors"))
        #expect(r0 == r1, "the two workers' parameters differ")
        #expect(Set(one.keys) == Set(r0.keys) && one.count == 4)
        let worst = one.keys.flatMap { k in zip(one[k]!, r0[k]!).map { abs($0 - $1) } }.max() ?? .infinity
        #expect(worst <= 1e-6, "a 2-worker epoch ends \(worst) away from the single process")
        // Validation is sharded and gathered: the same numbers as one process (to float rounding).
        func losses(_ text: String) -> [Double] {
            guard let r = text.range(of: "valid loss [") else { return [] }
            return text[r.upperBound...].prefix { $0 != "]" }.split(separator: ",").compactMap {
                Double($0.trimmingCharacters(in: .whitespaces))
            }
        }
        let (a, b) = (losses(single.out), losses(runs[0].out))
        #expect(a.count == 2 && b.count == 2 && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }, "\(single.out) \(runs[0].out)")
        // Rank 0 alone wrote the log; rank 1's folders were never made.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("l-rank0/log_probe.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("w-rank1").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("l-rank1").path))
    }

    func trainArgs(_ dir: URL, kernel: String, epochs: Int = 2, extra: [String] = []) -> [String] {
        ["train", "--kernel-type", kernel, "--data-dir", dir.appendingPathComponent("data").path, "--data-folder", "32",
         "--image-size", "32", "--enet-type", "efficientnet_b0", "--batch-size", "16", "--num-workers", "1",
         "--n-epochs", "\(epochs)", "--fold", "0", "--model-dir", dir.appendingPathComponent("w-\(kernel)").path,
         "--log-dir", dir.appendingPathComponent("l-\(kernel)").path] + extra
    }

    func lines(_ url: URL) -> [Substring] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// (b) `--nproc-per-node 2`: one log line and one history entry per epoch, the fold's files written once
    /// (by rank 0), and the best epoch's AUC is what `evaluate` computes from the best checkpoint.
    @Test func launcherWritesOnceAndTheAUCIsWhatEvaluateComputes() throws {
        let dir = try CLITests.dataset.get()
        let kernel = "dist_b0"
        let r = try CLITests.run(trainArgs(dir, kernel: kernel, extra: ["--nproc-per-node", "2"]))
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("job       2 workers, 8 rows of each batch of 16 per worker, gradients by Gloo"), "\(r.out)")
        for epoch in 1 ... 2 {
            #expect(r.out.components(separatedBy: "Epoch \(epoch),").count == 2, "epoch \(epoch) said once: \(r.out)")
        }
        let logs = dir.appendingPathComponent("l-\(kernel)")
        #expect(lines(logs.appendingPathComponent("log_\(kernel).txt")).count == 2)
        #expect(lines(logs.appendingPathComponent("log_\(kernel).jsonl")).count == 2)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("w-\(kernel)").path)
            .filter { !$0.hasPrefix(".") }.sorted()  // but the run lock
        #expect(written == ["\(kernel).json", "\(kernel)_best_20_fold0.pth", "\(kernel)_best_fold0.pth",
                            "\(kernel)_final_fold0.pth", "\(kernel)_resume_fold0.json"].sorted(), "\(written)")
        let best = r.out.components(separatedBy: "best auc ").dropFirst().first.flatMap { Double($0.prefix(8)) }
        let e = try CLITests.run(["evaluate", "--kernel-type", kernel, "--data-dir", dir.appendingPathComponent("data").path,
                                  "--data-folder", "32", "--image-size", "32", "--enet-type", "efficientnet_b0",
                                  "--batch-size", "16", "--fold", "0", "--model-dir", dir.appendingPathComponent("w-\(kernel)").path,
                                  "--oof-dir", dir.appendingPathComponent("oof-\(kernel)").path,
                                  "--log-dir", dir.appendingPathComponent("l-\(kernel)").path, "--eval", "best", "--n-test", "1"])
        #expect(e.status == 0, "\(e.err)")
        let evaluated = e.out.components(separatedBy: "auc_all_raw : ").dropFirst().first.flatMap { Double($0.prefix(7)) }
        #expect(best != nil && evaluated != nil && abs(best! - evaluated!) < 1e-5, "train \(String(describing: best)), evaluate \(String(describing: evaluated))")

        // torchrun starts the binary as its workers (its agent hosts the store): the same job, the same epochs.
        let torchrun = URL(fileURLWithPath: Reference.python).deletingLastPathComponent().appendingPathComponent("torchrun")
        let t = try ChildProcess(torchrun, ["--standalone", "--nproc-per-node=2", "--no-python", CLITests.binary.path]
            + trainArgs(dir, kernel: "dist_torchrun")).wait()
        #expect(t.status == 0, "\(t.err)")
        func epochLines(_ text: String) -> [Substring] {  // without the time stamp
            text.split(separator: "\n").compactMap { line in line.range(of: "Fold 0, Epoch").map { line[$0.lowerBound...] } }
        }
        let (ours, theirs) = (epochLines(r.out), epochLines(t.out))
        #expect(ours.count == 2 && ours == theirs, "launcher \(ours), torchrun \(theirs)")
    }

    /// A job stopped after its first epoch continues on one process (any world size that divides the batch).
    @Test func anInterruptedJobResumesOnAnotherWorldSize() throws {
        let dir = try CLITests.dataset.get()
        let kernel = "dist_resume"
        let stopped = try CLITests.run(trainArgs(dir, kernel: kernel, epochs: 3, extra: ["--nproc-per-node", "2"]),
                                       interruptAfter: "Epoch 2,")  // epoch 1 is saved by then
        #expect(stopped.status == 130, "\(stopped.status): \(stopped.out) \(stopped.err)")
        #expect(stopped.err.contains("interrupted: fold 0: epochs 1-"), "\(stopped.err)")
        let resumed = try CLITests.run(trainArgs(dir, kernel: kernel, epochs: 3, extra: ["--resume"]))
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("resume    fold 0: continuing after epoch"), "\(resumed.out)")
        #expect(lines(dir.appendingPathComponent("l-\(kernel)/log_\(kernel).txt")).count == 3)
    }

    /// (c) The errors a job meets, each said on one line that names the cause.
    @Test func jobErrorsAreSaid() throws {
        let dir = try CLITests.dataset.get()
        // A batch that does not divide: refused by the launcher before any worker starts.
        let odd = try CLITests.run(trainArgs(dir, kernel: "dist_err", extra: ["--nproc-per-node", "2", "--batch-size", "15"]))
        #expect(odd.status == 1 && odd.err.hasPrefix("train: --batch-size: 15 does not divide among 2 workers"), "\(odd.err)")
        #expect(!odd.out.contains("launch"))

        // A port someone listens on: refused by the launcher, and by a worker started by hand.
        let port = try Self.freePort()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = INADDR_ANY
        let bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(bound == 0 && listen(listener, 4) == 0)
        let busy = try CLITests.run(trainArgs(dir, kernel: "dist_err", extra: ["--nproc-per-node", "2", "--master-port", "\(port)"]))
        #expect(busy.status == 1 && busy.err.contains("--master-port: port \(port) on this machine is in use"), "\(busy.err)")
        let busyWorker = try ChildProcess(CLITests.binary, trainArgs(dir, kernel: "dist_err"),
                                    environment: Self.job(rank: 0, world: 2, port: port)).wait()
        #expect(busyWorker.status == 1 && busyWorker.err.contains("port \(port) on 127.0.0.1 is in use"), "\(busyWorker.err)")

        // Workers started with different world sizes (a batch of 12 divides among 2 and 3).
        var p = try Self.freePort()
        let twelve = trainArgs(dir, kernel: "dist_err", extra: ["--dist-timeout", "60"]).map { $0 == "16" ? "12" : $0 }
        let w0 = try ChildProcess(CLITests.binary, twelve, environment: Self.job(rank: 0, world: 2, port: p))
        let w1 = try ChildProcess(CLITests.binary, twelve, environment: Self.job(rank: 1, world: 3, port: p))
        let (r0, r1) = (w0.wait(), w1.wait())
        #expect(r0.status == 1 && r0.err.contains("rank 1 was started with a world size of 3"), "\(r0.err)")
        #expect(r1.status == 1 && r1.err.contains("world size of 3, rank 0 with 2"), "\(r1.err)")

        // Workers started with different settings.
        p = try Self.freePort()
        let s0 = try ChildProcess(CLITests.binary, trainArgs(dir, kernel: "dist_err"), environment: Self.job(rank: 0, world: 2, port: p))
        let s1 = try ChildProcess(CLITests.binary, trainArgs(dir, kernel: "dist_err", extra: ["--init-lr", "1e-3"]),
                            environment: Self.job(rank: 1, world: 2, port: p))
        let (q0, q1) = (s0.wait(), s1.wait())
        #expect(q1.status == 1 && q1.err.contains("different settings: init-lr is '0.001' on rank 1 but '3e-05' on rank 0"), "\(q1.err)")
        #expect(q0.status == 1 && q0.err.contains("rank 1:"), "\(q0.err)")

        // A worker whose partners never come: the store's timeout, said with what to check.
        p = try Self.freePort()
        let t0 = ProcessInfo.processInfo.systemUptime
        let alone = try ChildProcess(CLITests.binary, trainArgs(dir, kernel: "dist_err", extra: ["--dist-timeout", "2"]),
                               environment: Self.job(rank: 0, world: 2, port: p)).wait()
        #expect(alone.status == 1 && alone.err.contains("did not all meet at 127.0.0.1:\(p) within 2 s"), "\(alone.err)")
        #expect(ProcessInfo.processInfo.systemUptime - t0 < 30)
    }

    /// A worker that dies stops the job within seconds, naming its rank; the launcher exits non-zero.
    @Test func aDeadWorkerStopsTheJob() throws {
        let dir = try CLITests.dataset.get()
        let w = try ChildProcess(CLITests.binary, trainArgs(dir, kernel: "dist_kill", epochs: 30, extra: ["--nproc-per-node", "2"]),
                           environment: [:])
        let launcher = w.process.processIdentifier
        // Rank 1 is the child whose environment says RANK=1.
        var victim: pid_t?
        let start = ProcessInfo.processInfo.systemUptime
        while victim == nil, ProcessInfo.processInfo.systemUptime - start < 60 {
            usleep(200_000)
            let children = ((try? String(contentsOfFile: "/proc/\(launcher)/task/\(launcher)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0) }
            victim = children.first { pid in
                let env = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
                return env.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "RANK=1" }
            }
        }
        let pid = try #require(victim, "no worker with RANK=1 under the launcher")
        sleep(2)  // inside the job by now
        let killedAt = ProcessInfo.processInfo.systemUptime
        kill(pid, SIGKILL)
        let r = w.wait()
        #expect(ProcessInfo.processInfo.systemUptime - killedAt < 15, "the job took too long to stop")
        #expect(r.status != 0)
        #expect(r.out.contains("rank 1 was killed by signal 9; stopping the other worker"), "\(r.out)\(r.err)")
    }
}
