// Compiles the apps and libs as `tsc -p tsconfig.build.json` does, with the @nestjs/swagger
// compiler plugin (options from nest-cli.json, as `nest build` would read them): each
// `*.dto.ts` class gets its OpenAPI metadata from its types and class-validator rules at
// build time, so nothing patches a class at start and libs/domain imports no Nest module.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { before as swaggerPlugin } from '@nestjs/swagger/plugin';

const TSCONFIG = 'tsconfig.build.json';

const nestCli = JSON.parse(readFileSync('nest-cli.json', 'utf8'));
const plugin = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger');

const { config, error } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
if (error) fail([error]);
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, process.cwd(), undefined, TSCONFIG);
if (parsed.errors.length > 0) fail(parsed.errors);

const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
const emitted = program.emit(undefined, undefined, undefined, false, {
  before: [swaggerPlugin(plugin.options, program)],
});
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (diagnostics.length > 0) fail(diagnostics);

function fail(list) {
  const host = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getNewLine: () => ts.sys.newLine,
  };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(list, host));
  process.exit(1);
}
