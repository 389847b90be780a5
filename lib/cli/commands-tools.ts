// The commands about the installation rather than a run: info, doctor (bench: commands-bench.ts).

/** info.ts prints when imported (a script) or exports printInfo(): both work. */
export async function runInfo(): Promise<number> {
  const mod = await import('./info.js') as { printInfo?: () => unknown };
  if (typeof mod.printInfo === 'function') await mod.printInfo();
  return 0;
}

export async function runDoctorCommand(options: { json: boolean }): Promise<number> {
  const { runDoctor } = await import('./doctor.js');
  return runDoctor({ json: options.json });
}
