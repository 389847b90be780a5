// The C++ floor of `npm run bench:ops`: the same ops as torchtrain-side.ts and ops.py, called
// straight through ATen with no binding at all. Whatever a binding adds on top of these numbers
// is its overhead; no binding can go below them.
//
// usage: floor --threads N --serve                      (driven by run.ts over stdin/stdout)
//        floor --threads N --repeats R name=iters ...    (stand-alone)
// A pass is `iters` iterations of one op, timed as a whole, reported in microseconds per
// iteration as JSON. Stand-alone: one warm-up and R timed passes per op, one JSON object on
// stdout, progress on stderr. Built and cached by bench/ops/floor-build.ts.
//
// Only ATen headers are included (not torch/torch.h) because they compile in about half the
// time; autograd (requires_grad, backward) is reached through the dispatcher all the same.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/headeronly/version.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int kChainLength = 100;  // same constant as spec.ts and ops.py

// Keeps the optimizer from treating a result as dead. Dropping it is also what the bindings do,
// so each iteration still allocates and frees its output exactly once.
void sink(const at::Tensor& t) { asm volatile("" : : "r"(t.unsafeGetTensorImpl()) : "memory"); }

using Loop = std::function<void(long)>;

// The std::function call happens once per pass, never per iteration: every loop body below is
// inlined into its lambda.
double onePass(const Loop& loop, long n) {
  auto t0 = std::chrono::steady_clock::now();
  loop(n);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(ns) / 1000.0 / static_cast<double>(n);
}

at::Tensor param(at::IntArrayRef shape, double scale) {
  at::Tensor p = at::randn(shape).mul(scale);
  p.set_requires_grad(true);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = -1, repeats = 11;
  bool serve = false;
  std::vector<std::pair<std::string, long>> ops;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else if (arg == "--serve") {
      serve = true;
    } else if (auto eq = arg.find('='); eq != std::string::npos) {
      ops.emplace_back(arg.substr(0, eq), std::atol(arg.c_str() + eq + 1));
    } else {
      std::fprintf(stderr, "floor: unexpected argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (threads > 0) at::set_num_threads(threads);
  at::manual_seed(0);

  const at::Tensor a = at::ones({1}), b = at::ones({1});
  const at::Tensor ma = at::randn({64, 64}), mb = at::randn({64, 64});
  const at::Tensor x = at::randn({32, 784});
  std::vector<at::Tensor> params = {param({784, 256}, 0.05), param({256}, 0.05), param({256, 128}, 0.05),
                                    param({128}, 0.05),      param({128, 10}, 0.05), param({10}, 0.05)};
  const at::Tensor &w1 = params[0], &b1 = params[1], &w2 = params[2], &b2 = params[3], &w3 = params[4], &b3 = params[5];

  auto loopFor = [&](const std::string& name) -> Loop {
    if (name == "add") return [&](long n) { for (long i = 0; i < n; i++) sink(a.add(b)); };
    if (name == "mul") return [&](long n) { for (long i = 0; i < n; i++) sink(a.mul(b)); };
    if (name == "relu") return [&](long n) { for (long i = 0; i < n; i++) sink(a.relu()); };
    if (name == "sum") return [&](long n) { for (long i = 0; i < n; i++) sink(a.sum()); };
    if (name == "matmul64") return [&](long n) { for (long i = 0; i < n; i++) sink(ma.matmul(mb)); };
    if (name == "chain100")
      return [&](long n) {
        for (long i = 0; i < n; i++) {
          at::Tensor y = a;
          for (int k = 0; k < kChainLength; k++) y = (k & 1) ? y.add(b) : y.mul(b);
          sink(y);
        }
      };
    if (name == "mlp")
      return [&](long n) {
        for (long i = 0; i < n; i++) {
          at::Tensor h1 = x.matmul(w1).add(b1).relu();
          at::Tensor h2 = h1.matmul(w2).add(b2).relu();
          at::Tensor out = h2.matmul(w3).add(b3);
          out.square().mean().backward();
          // zero_grad(set_to_none=True), as the other two sides do
          for (auto& p : params) p.mutable_grad().reset();
        }
      };
    return nullptr;
  };

  std::string hello = "\"side\":\"floor\",\"version\":\"" TORCH_VERSION "\",\"threads\":" +
                      std::to_string(at::get_num_threads());
  if (serve) {
    // Interleaved mode (what run.ts uses): one JSON line of facts, then one timed pass per
    // "name iters" line on stdin, answered with one JSON line, until stdin closes.
    std::printf("{%s}\n", hello.c_str());
    std::fflush(stdout);
    std::string name;
    long n;
    while (std::cin >> name >> n) {
      Loop loop = loopFor(name);
      if (!loop) {
        std::fprintf(stderr, "floor: unknown op %s\n", name.c_str());
        return 2;
      }
      std::printf("{\"op\":\"%s\",\"us\":%.6f}\n", name.c_str(), onePass(loop, n));
      std::fflush(stdout);
    }
    return 0;
  }

  std::string json = "{" + hello + ",\"samples\":{";
  bool first = true;
  for (const auto& [name, n] : ops) {
    Loop loop = loopFor(name);
    if (!loop) {
      std::fprintf(stderr, "floor: unknown op %s\n", name.c_str());
      return 2;
    }
    std::fprintf(stderr, "[floor] %s: %ld iters x (1 warm-up + %d timed)\n", name.c_str(), n, repeats);
    onePass(loop, n);
    json += (first ? "\"" : ",\"") + name + "\":[";
    for (int r = 0; r < repeats; r++) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%.6f", r ? "," : "", onePass(loop, n));
      json += buf;
    }
    json += "]";
    first = false;
  }
  json += "}}";
  std::printf("%s\n", json.c_str());
  return 0;
}
