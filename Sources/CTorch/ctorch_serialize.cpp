// The shim's torch.save reader and writer.
#include "shim.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

using namespace ctorch;

extern "C" {

// ---- serialization

static void flatten(const c10::IValue &v, const std::string &prefix, ct_named_tensor_cb cb, void *ctx) {
  if (v.isTensor()) {
    cb(ctx, prefix.c_str(), wrap(v.toTensor()));
  } else if (v.isGenericDict()) {
    for (const auto &kv : v.toGenericDict()) {
      const auto &k = kv.key(); // optimizer state is keyed by parameter index
      std::string key = k.isString() ? k.toStringRef() : k.isInt() ? std::to_string(k.toInt()) : k.tagKind();
      flatten(kv.value(), prefix.empty() ? key : prefix + "." + key, cb, ctx);
    }
  } else if (v.isTuple() || v.isList()) {
    auto elems = v.isTuple() ? v.toTupleRef().elements().vec() : v.toListRef().vec();
    for (size_t i = 0; i < elems.size(); i++)
      flatten(elems[i], prefix.empty() ? std::to_string(i) : prefix + "." + std::to_string(i), cb, ctx);
  }
  // Other values (ints, strings: epoch counters, metadata) carry no tensors and are skipped.
}

// torch.save writes a state_dict as a collections.OrderedDict (REDUCE with no arguments) followed
// by a BUILD that sets its `_metadata`. libtorch's unpickler turns every OrderedDict into None,
// so those files (every ImageNet or training checkpoint) fail with "Expected GenericDict". The
// opcode stream is rewritten before unpickling: the OrderedDict class and each `OrderedDict()`
// become an empty dict, and BUILD (which libtorch only knows for TorchScript objects) becomes a
// SETITEM of its state under the key "__build_state__" (no tensors there, so nothing is listed).
// To find where BUILD's state starts, the stack is tracked as the output offsets of its items.
static uint32_t le32(const std::string &s, size_t i) {
  TORCH_CHECK(i + 4 <= s.size(), "truncated pickle");
  return (uint32_t)(uint8_t)s[i] | (uint32_t)(uint8_t)s[i + 1] << 8 | (uint32_t)(uint8_t)s[i + 2] << 16 |
         (uint32_t)(uint8_t)s[i + 3] << 24;
}

static std::string rewrite_ordered_dicts(const std::string &in) {
  if (in.find("collections\nOrderedDict\n") == std::string::npos) return in;
  std::string out;
  out.reserve(in.size());
  std::vector<bool> memo_od; // memo slots holding the OrderedDict class
  size_t memo_len = 0;
  bool top_is_od = false; // the last value pushed is the OrderedDict class
  auto line_end = [&](size_t from) {
    size_t e = in.find('\n', from);
    TORCH_CHECK(e != std::string::npos, "truncated pickle");
    return e + 1;
  };
  auto mark_memo = [&](size_t k, bool od) {
    // A memo index is at most the number of opcodes; a larger one (a hostile file) would size this vector.
    TORCH_CHECK(k <= in.size(), "pickle: memo index ", k, " out of range");
    if (memo_od.size() <= k) memo_od.resize(k + 1, false);
    memo_od[k] = od;
    memo_len = std::max(memo_len, k + 1);
  };
  auto is_od_slot = [&](size_t k) { return k < memo_od.size() && memo_od[k]; };
  const size_t MARK = SIZE_MAX;
  std::vector<size_t> stack; // output offset where each item's opcodes start; MARK for '('
  auto pop_to_mark = [&]() {
    while (!stack.empty() && stack.back() != MARK) stack.pop_back();
    TORCH_CHECK(!stack.empty(), "pickle: no MARK");
    size_t start = out.size(); // the mark's own offset is not kept; the replacement starts here
    stack.pop_back();
    return start;
  };
  auto pop = [&](size_t k) {
    TORCH_CHECK(stack.size() >= k, "pickle: stack underflow");
    size_t start = stack[stack.size() - k];
    stack.resize(stack.size() - k);
    return start;
  };
  size_t i = 0;
  // The size of an opcode with a `header`-byte prefix and `len` bytes of data, checked against what is left
  // before adding: a length from the file (up to 2^64 - 1) must not wrap the sum to a small number, which
  // would stop `i` advancing (a 1.4 KB file once grew the stack until 17 GB were allocated).
  auto sized = [&](size_t header, uint64_t len) -> size_t {
    TORCH_CHECK(i + header <= in.size() && len <= in.size() - i - header, "truncated pickle");
    return header + (size_t)len;
  };
  while (i < in.size()) {
    uint8_t op = (uint8_t)in[i];
    size_t at = out.size();
    size_t n = 1;     // bytes of this opcode and its argument
    bool pushes_od = false, keeps_top = false;
    switch (op) {
    case 'c': { // GLOBAL module\nname\n
      size_t a = line_end(i + 1), b = line_end(a);
      pushes_od = in.compare(i + 1, b - i - 1, "collections\nOrderedDict\n") == 0;
      n = b - i;
      break;
    }
    case 'h': n = 2; pushes_od = is_od_slot((uint8_t)in[i + 1]); break;          // BINGET
    case 'j': n = 5; pushes_od = is_od_slot(le32(in, i + 1)); break;             // LONG_BINGET
    case 'g': n = line_end(i + 1) - i; pushes_od = is_od_slot(std::stoul(in.substr(i + 1, n - 2))); break;
    case 'q': n = 2; mark_memo((uint8_t)in[i + 1], top_is_od); keeps_top = true; break;  // BINPUT
    case 'r': n = 5; mark_memo(le32(in, i + 1), top_is_od); keeps_top = true; break;     // LONG_BINPUT
    case 'p': n = line_end(i + 1) - i; mark_memo(std::stoul(in.substr(i + 1, n - 2)), top_is_od); keeps_top = true; break;
    case 0x94: mark_memo(memo_len, top_is_od); keeps_top = true; break;          // MEMOIZE
    case 0x80: case 'K': case 0x82: n = 2; break;                                 // 1-byte argument
    case 'U': case 'C': case 0x8c: n = 2 + (uint8_t)in[i + 1]; break;             // 1-byte length + data
    case 'M': case 0x83: n = 3; break;
    case 'J': case 0x84: n = 5; break;
    case 'G': case 0x95: n = 9; break;
    case 'X': case 'T': case 'B': case 0x8b: n = sized(5, le32(in, i + 1)); break; // 4-byte length + data
    case 0x8a: n = 2 + (uint8_t)in[i + 1]; break;                                 // LONG1
    case 0x8d: case 0x8e: case 0x96: {                                            // 8-byte length + data
      n = sized(9, le32(in, i + 1) | (uint64_t)le32(in, i + 5) << 32);
      break;
    }
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': n = line_end(i + 1) - i; break;
    case 'i': n = line_end(line_end(i + 1)) - i; break;
    default: break; // no argument
    }
    TORCH_CHECK(n >= 1 && i + n <= in.size(), "truncated pickle");
    if (pushes_od) {
      out.push_back('}'); // the class itself stands in as the empty dict that calling it makes
      stack.push_back(at);
      top_is_od = true;
      i += n;
      continue;
    }
    if (top_is_od && op == ')' && i + 1 < in.size() && in[i + 1] == 'R') {
      top_is_od = false; // `OrderedDict()`: the dict is already on the stack
      i += 2;
      continue;
    }
    if (!keeps_top) top_is_od = false;
    if (op == 'b') {
      size_t start = pop(1);
      static const std::string key = "__build_state__";
      std::string x(1, 'X');
      for (int b = 0; b < 4; b++) x.push_back((char)((key.size() >> (8 * b)) & 0xff));
      out.insert(start, x + key);
      out.push_back('s');
      i += n;
      continue;
    }
    out.append(in, i, n);
    switch (op) {
    case '(': stack.push_back(MARK); break;
    case '0': pop(1); break;
    case '1': pop_to_mark(); break;
    case '2': stack.push_back(at); break;
    case 't': case 'l': case 'd': case 0x91: case 'i': case 'o': {
      // pops to the mark, pushes one item that starts where the mark was
      size_t k = stack.size();
      while (k > 0 && stack[k - 1] != MARK) k--;
      TORCH_CHECK(k > 0, "pickle: no MARK");
      size_t start = k < stack.size() ? stack[k] : at;
      stack.resize(k - 1);
      stack.push_back(start);
      break;
    }
    case 'a': pop(1); break;
    case 's': pop(2); break;
    case 'e': case 'u': case 0x90: pop_to_mark(); break;
    case 0x85: break;
    case 0x86: stack.push_back(pop(2)); break;
    case 0x87: stack.push_back(pop(3)); break;
    case 'R': case 0x81: case 0x93: stack.push_back(pop(2)); break;
    case 0x92: stack.push_back(pop(3)); break;
    case 'Q': break; // BINPERSID: pops the id, pushes the object
    case 'q': case 'r': case 'p': case 0x94: case 0x80: case 0x95: case '.': break;
    default: stack.push_back(at); break; // every other opcode pushes one value
    }
    i += n;
  }
  return out;
}

// readArchiveAndTensors("data", ...) with the pickle rewritten as above.
static c10::IValue read_torch_save(caffe2::serialize::PyTorchStreamReader &reader) {
  auto [ptr, size] = reader.getRecord("data.pkl");
  std::string pickle = rewrite_ordered_dicts(std::string(static_cast<const char *>(ptr.get()), size));
  size_t pos = 0;
  auto read = [&](char *buf, size_t len) -> size_t {
    size_t n = std::min(len, pickle.size() - pos);
    std::memcpy(buf, pickle.data() + pos, n);
    pos += n;
    return n;
  };
  auto read_record = [&](const std::string &name) { return std::get<0>(reader.getRecord("data/" + name)); };
  torch::jit::Unpickler unpickler(read, nullptr, nullptr, read_record, at::Device(at::kCPU));
  unpickler.set_version(reader.version());
  return unpickler.parse_ivalue();
}

int ct_load_pickle(const char *path, ct_named_tensor_cb cb, void *ctx, ct_error *err) {
  CT_TRY(-1, {
    caffe2::serialize::PyTorchStreamReader reader(std::string{path});
    // Map every storage to the CPU so a checkpoint saved on a GPU loads anywhere.
    auto value = read_torch_save(reader);
    flatten(value, "", cb, ctx);
    return 0;
  })
}

int ct_save_pickle(const char *path, const char *const *names, const ct_tensor *ts, int n, ct_error *err) {
  CT_TRY(-1, {
    c10::Dict<std::string, Tensor> dict;
    for (int i = 0; i < n; i++) dict.insert(names[i], T(ts[i]).detach().to(at::kCPU));
    // torch.save's layout: data.pkl plus one record per storage. Aggregates are written untagged so
    // that torch.load(weights_only=True) accepts the file.
    std::vector<char> pickled;
    torch::jit::Pickler pickler([&](const char *buf, size_t len) { pickled.insert(pickled.end(), buf, buf + len); },
                                nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
    pickler.protocol();
    pickler.pushIValue(c10::IValue(dict));
    pickler.stop();
    // The writer is given a function that never reports failure: libtorch's file writer throws from its
    // destructor when a write failed (a full disk), which is std::terminate. Failures are recorded here
    // and reported after the writer is gone.
    // Declared before the writer, so on an exception the writer's destructor still has an open file.
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path, "wb"), &std::fclose);
    if (!file) throw std::runtime_error(std::string("cannot create ") + path + ": " + std::strerror(errno));
    int write_errno = 0;
    {
      caffe2::serialize::PyTorchStreamWriter writer([&](const void *buf, size_t len) -> size_t {
        if (write_errno == 0 && len > 0 && std::fwrite(buf, 1, len, file.get()) != len) write_errno = errno ? errno : EIO;
        return len;
      });
      torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
      writer.writeEndOfFile();
    }
    if (write_errno == 0 && std::fflush(file.get()) != 0) write_errno = errno ? errno : EIO;
    if (std::fclose(file.release()) != 0 && write_errno == 0) write_errno = errno ? errno : EIO;
    if (write_errno != 0) throw std::runtime_error(std::string("cannot write ") + path + ": " + std::strerror(write_errno));
    return 0;
  })
}

} // extern "C"
