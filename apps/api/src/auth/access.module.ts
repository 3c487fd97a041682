import { Module } from '@nestjs/common';
import { AccessRegistry } from './access-registry.js';

/** Who a token is: one registry for the guard, the fast lane and the write path. */
@Module({ providers: [AccessRegistry], exports: [AccessRegistry] })
export class AccessModule {}
