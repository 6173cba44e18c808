import { Module } from '@nestjs/common';
import 'reflect-metadata';
import { AppModule } from '../src/app.module.js';
import { startDemo } from '../src/bootstrap.js';
import { CanonicalModule } from './canonical.module.js';

/** The demo, with the canonical passport-jwt route mounted beside it. */
@Module({ imports: [AppModule, CanonicalModule] })
class BenchAppModule {}

await startDemo(BenchAppModule);
