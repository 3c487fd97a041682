import { AppProcess } from './app-process.js';
import { WardenClient } from './http-client.js';
import { TestEnvironment } from './test-environment.js';

export interface StackOptions {
  /** Variables of every process, over those of the suite's slice. */
  env?: Record<string, string>;
  /** One entry per API instance (default one), with variables of that instance only. */
  apis?: Record<string, string>[];
  /** Variables of the worker only. */
  worker?: Record<string, string>;
  /** How long each process may take to become ready. */
  readyTimeoutMs?: number;
}

interface Running {
  env: TestEnvironment;
  apis: AppProcess[];
  worker: AppProcess;
}

/** One suite's Warden: its own slice of the servers, its API instances and one worker. */
export class Stack {
  /** A writer's client of the first API instance. */
  readonly client = new WardenClient(() => this.api.baseUrl);
  private running?: Running;

  constructor(
    private readonly label: string,
    private readonly options: StackOptions = {},
  ) {}

  get env(): TestEnvironment {
    return this.started().env;
  }

  get api(): AppProcess {
    return this.started().apis[0];
  }

  get apis(): AppProcess[] {
    return this.started().apis;
  }

  get worker(): AppProcess {
    return this.started().worker;
  }

  async start(): Promise<this> {
    const env = await TestEnvironment.create(this.label);
    const shared = env.processEnv(this.options.env);
    const startup = { readyTimeoutMs: this.options.readyTimeoutMs };
    const started = await Promise.allSettled([
      AppProcess.start('worker', { ...shared, ...this.options.worker }, startup),
      ...(this.options.apis ?? [{}]).map((own) =>
        AppProcess.start('api', { ...shared, ...own }, startup),
      ),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
      await env.dispose();
      throw failed.reason;
    }
    const [worker, ...apis] = started.map(
      (result) => (result as PromiseFulfilledResult<AppProcess>).value,
    );
    this.running = { env, apis, worker };
    return this;
  }

  /** SIGTERM to every process (one a test stopped already is left as it is), then the slice goes. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const { env, apis, worker } = this.running;
    await Promise.all([...apis, worker].map((app) => app.stop()));
    await env.dispose();
  }

  private started(): Running {
    if (!this.running) throw new Error(`the ${this.label} stack is not started yet`);
    return this.running;
  }
}

/** Starts a stack, for a test that wants one of its own. */
export function startStack(label: string, options: StackOptions = {}): Promise<Stack> {
  return new Stack(label, options).start();
}

/** A stack started before the suite's first test and stopped after its last. */
export function useStack(label: string, options: StackOptions = {}): Stack {
  const stack = new Stack(label, options);
  beforeAll(() => stack.start(), 180_000);
  afterAll(() => stack.stop());
  return stack;
}
