import 'reflect-metadata';
import { AppModule } from './app.module.js';
import { startDemo } from './bootstrap.js';

await startDemo(AppModule);
