/**
 * Every instrumentation the preload can load, by its upstream short name (the suffix of
 * `@opentelemetry/instrumentation-<name>`, as in OTEL_NODE_ENABLED_INSTRUMENTATIONS).
 * Each instrumentation is its own file, `instrumentations/<name>.cjs` beside sdk.cjs (see
 * scripts/build-payload.mjs), read and compiled only when its factory runs: a disabled
 * instrumentation costs nothing at startup, not even parsing.
 */
import { join } from 'node:path';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

/** `module.require` is left alone by esbuild: the file is resolved at run time, beside the bundle. */
export function load(name: string): unknown {
  return module.require(join(__dirname, 'instrumentations', `${name}.cjs`));
}

/** Rarely used `@opentelemetry/<name>` packages (cloud detectors, b3) live in `packages/<name>.cjs`. */
export function loadPackage(name: string): unknown {
  return module.require(join(__dirname, 'packages', `${name}.cjs`));
}

type Factory = (config: InstrumentationConfig) => Instrumentation;

function req<T>(mod: unknown): T {
  return mod as T;
}

export const CATALOGUE: Readonly<Record<string, Factory>> = {
  'amqplib': (c) => new (req<typeof import('@opentelemetry/instrumentation-amqplib')>(load('amqplib'))).AmqplibInstrumentation(c),
  'aws-lambda': (c) => new (req<typeof import('@opentelemetry/instrumentation-aws-lambda')>(load('aws-lambda'))).AwsLambdaInstrumentation(c),
  'aws-sdk': (c) => new (req<typeof import('@opentelemetry/instrumentation-aws-sdk')>(load('aws-sdk'))).AwsInstrumentation(c),
  'bunyan': (c) => new (req<typeof import('@opentelemetry/instrumentation-bunyan')>(load('bunyan'))).BunyanInstrumentation(c),
  'cassandra-driver': (c) => new (req<typeof import('@opentelemetry/instrumentation-cassandra-driver')>(load('cassandra-driver'))).CassandraDriverInstrumentation(c),
  'connect': (c) => new (req<typeof import('@opentelemetry/instrumentation-connect')>(load('connect'))).ConnectInstrumentation(c),
  'cucumber': (c) => new (req<typeof import('@opentelemetry/instrumentation-cucumber')>(load('cucumber'))).CucumberInstrumentation(c),
  'dataloader': (c) => new (req<typeof import('@opentelemetry/instrumentation-dataloader')>(load('dataloader'))).DataloaderInstrumentation(c),
  'dns': (c) => new (req<typeof import('@opentelemetry/instrumentation-dns')>(load('dns'))).DnsInstrumentation(c),
  'express': (c) => new (req<typeof import('@opentelemetry/instrumentation-express')>(load('express'))).ExpressInstrumentation(c),
  'fs': (c) => new (req<typeof import('@opentelemetry/instrumentation-fs')>(load('fs'))).FsInstrumentation(c),
  'generic-pool': (c) => new (req<typeof import('@opentelemetry/instrumentation-generic-pool')>(load('generic-pool'))).GenericPoolInstrumentation(c),
  'graphql': (c) => new (req<typeof import('@opentelemetry/instrumentation-graphql')>(load('graphql'))).GraphQLInstrumentation(c),
  'grpc': (c) => new (req<typeof import('@opentelemetry/instrumentation-grpc')>(load('grpc'))).GrpcInstrumentation(c),
  'hapi': (c) => new (req<typeof import('@opentelemetry/instrumentation-hapi')>(load('hapi'))).HapiInstrumentation(c),
  'http': (c) => new (req<typeof import('@opentelemetry/instrumentation-http')>(load('http'))).HttpInstrumentation(c),
  'ioredis': (c) => new (req<typeof import('@opentelemetry/instrumentation-ioredis')>(load('ioredis'))).IORedisInstrumentation(c),
  'kafkajs': (c) => new (req<typeof import('@opentelemetry/instrumentation-kafkajs')>(load('kafkajs'))).KafkaJsInstrumentation(c),
  'knex': (c) => new (req<typeof import('@opentelemetry/instrumentation-knex')>(load('knex'))).KnexInstrumentation(c),
  'koa': (c) => new (req<typeof import('@opentelemetry/instrumentation-koa')>(load('koa'))).KoaInstrumentation(c),
  'lru-memoizer': (c) => new (req<typeof import('@opentelemetry/instrumentation-lru-memoizer')>(load('lru-memoizer'))).LruMemoizerInstrumentation(c),
  'memcached': (c) => new (req<typeof import('@opentelemetry/instrumentation-memcached')>(load('memcached'))).MemcachedInstrumentation(c),
  'mongodb': (c) => new (req<typeof import('@opentelemetry/instrumentation-mongodb')>(load('mongodb'))).MongoDBInstrumentation(c),
  'mongoose': (c) => new (req<typeof import('@opentelemetry/instrumentation-mongoose')>(load('mongoose'))).MongooseInstrumentation(c),
  'mysql': (c) => new (req<typeof import('@opentelemetry/instrumentation-mysql')>(load('mysql'))).MySQLInstrumentation(c),
  'mysql2': (c) => new (req<typeof import('@opentelemetry/instrumentation-mysql2')>(load('mysql2'))).MySQL2Instrumentation(c),
  'nestjs-core': (c) => new (req<typeof import('@opentelemetry/instrumentation-nestjs-core')>(load('nestjs-core'))).NestInstrumentation(c),
  'net': (c) => new (req<typeof import('@opentelemetry/instrumentation-net')>(load('net'))).NetInstrumentation(c),
  'openai': (c) => new (req<typeof import('@opentelemetry/instrumentation-openai')>(load('openai'))).OpenAIInstrumentation(c),
  'oracledb': (c) => new (req<typeof import('@opentelemetry/instrumentation-oracledb')>(load('oracledb'))).OracleInstrumentation(c),
  'pg': (c) => new (req<typeof import('@opentelemetry/instrumentation-pg')>(load('pg'))).PgInstrumentation(c),
  'pino': (c) => new (req<typeof import('@opentelemetry/instrumentation-pino')>(load('pino'))).PinoInstrumentation(c),
  'redis': (c) => new (req<typeof import('@opentelemetry/instrumentation-redis')>(load('redis'))).RedisInstrumentation(c),
  'restify': (c) => new (req<typeof import('@opentelemetry/instrumentation-restify')>(load('restify'))).RestifyInstrumentation(c),
  'router': (c) => new (req<typeof import('@opentelemetry/instrumentation-router')>(load('router'))).RouterInstrumentation(c),
  'runtime-node': (c) => new (req<typeof import('@opentelemetry/instrumentation-runtime-node')>(load('runtime-node'))).RuntimeNodeInstrumentation(c),
  'socket.io': (c) => new (req<typeof import('@opentelemetry/instrumentation-socket.io')>(load('socket.io'))).SocketIoInstrumentation(c),
  'tedious': (c) => new (req<typeof import('@opentelemetry/instrumentation-tedious')>(load('tedious'))).TediousInstrumentation(c),
  'undici': (c) => new (req<typeof import('@opentelemetry/instrumentation-undici')>(load('undici'))).UndiciInstrumentation(c),
  'winston': (c) => new (req<typeof import('@opentelemetry/instrumentation-winston')>(load('winston'))).WinstonInstrumentation(c),
};

/** Noisy, special-purpose or redundant (router: express 5 is covered by express) instrumentations that are off unless named in OTEL_NODE_ENABLED_INSTRUMENTATIONS. */
export const OFF_BY_DEFAULT: readonly string[] = ['fs', 'dns', 'net', 'cucumber', 'aws-lambda', 'router'];
