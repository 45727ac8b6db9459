import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Unicorn is a native library loaded through koffi: separate processes, not worker threads.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }]],
  },
});
