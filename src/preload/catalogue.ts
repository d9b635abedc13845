/**
 * Every instrumentation the preload can load, by its upstream short name (the suffix of
 * `@opentelemetry/instrumentation-<name>`, as in OTEL_NODE_ENABLED_INSTRUMENTATIONS).
 * Each entry is a factory: esbuild wraps every bundled package in a lazy initialiser, so a
 * package's code only runs when its factory is called, i.e. only for enabled instrumentations.
 */
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

type Factory = (config: InstrumentationConfig) => Instrumentation;

function req<T>(mod: unknown): T {
  return mod as T;
}

export const CATALOGUE: Readonly<Record<string, Factory>> = {
  'amqplib': (c) => new (req<typeof import('@opentelemetry/instrumentation-amqplib')>(require('@opentelemetry/instrumentation-amqplib'))).AmqplibInstrumentation(c),
  'aws-lambda': (c) => new (req<typeof import('@opentelemetry/instrumentation-aws-lambda')>(require('@opentelemetry/instrumentation-aws-lambda'))).AwsLambdaInstrumentation(c),
  'aws-sdk': (c) => new (req<typeof import('@opentelemetry/instrumentation-aws-sdk')>(require('@opentelemetry/instrumentation-aws-sdk'))).AwsInstrumentation(c),
  'bunyan': (c) => new (req<typeof import('@opentelemetry/instrumentation-bunyan')>(require('@opentelemetry/instrumentation-bunyan'))).BunyanInstrumentation(c),
  'cassandra-driver': (c) => new (req<typeof import('@opentelemetry/instrumentation-cassandra-driver')>(require('@opentelemetry/instrumentation-cassandra-driver'))).CassandraDriverInstrumentation(c),
  'connect': (c) => new (req<typeof import('@opentelemetry/instrumentation-connect')>(require('@opentelemetry/instrumentation-connect'))).ConnectInstrumentation(c),
  'cucumber': (c) => new (req<typeof import('@opentelemetry/instrumentation-cucumber')>(require('@opentelemetry/instrumentation-cucumber'))).CucumberInstrumentation(c),
  'dataloader': (c) => new (req<typeof import('@opentelemetry/instrumentation-dataloader')>(require('@opentelemetry/instrumentation-dataloader'))).DataloaderInstrumentation(c),
  'dns': (c) => new (req<typeof import('@opentelemetry/instrumentation-dns')>(require('@opentelemetry/instrumentation-dns'))).DnsInstrumentation(c),
  'express': (c) => new (req<typeof import('@opentelemetry/instrumentation-express')>(require('@opentelemetry/instrumentation-express'))).ExpressInstrumentation(c),
  'fs': (c) => new (req<typeof import('@opentelemetry/instrumentation-fs')>(require('@opentelemetry/instrumentation-fs'))).FsInstrumentation(c),
  'generic-pool': (c) => new (req<typeof import('@opentelemetry/instrumentation-generic-pool')>(require('@opentelemetry/instrumentation-generic-pool'))).GenericPoolInstrumentation(c),
  'graphql': (c) => new (req<typeof import('@opentelemetry/instrumentation-graphql')>(require('@opentelemetry/instrumentation-graphql'))).GraphQLInstrumentation(c),
  'grpc': (c) => new (req<typeof import('@opentelemetry/instrumentation-grpc')>(require('@opentelemetry/instrumentation-grpc'))).GrpcInstrumentation(c),
  'hapi': (c) => new (req<typeof import('@opentelemetry/instrumentation-hapi')>(require('@opentelemetry/instrumentation-hapi'))).HapiInstrumentation(c),
  'http': (c) => new (req<typeof import('@opentelemetry/instrumentation-http')>(require('@opentelemetry/instrumentation-http'))).HttpInstrumentation(c),
  'ioredis': (c) => new (req<typeof import('@opentelemetry/instrumentation-ioredis')>(require('@opentelemetry/instrumentation-ioredis'))).IORedisInstrumentation(c),
  'kafkajs': (c) => new (req<typeof import('@opentelemetry/instrumentation-kafkajs')>(require('@opentelemetry/instrumentation-kafkajs'))).KafkaJsInstrumentation(c),
  'knex': (c) => new (req<typeof import('@opentelemetry/instrumentation-knex')>(require('@opentelemetry/instrumentation-knex'))).KnexInstrumentation(c),
  'koa': (c) => new (req<typeof import('@opentelemetry/instrumentation-koa')>(require('@opentelemetry/instrumentation-koa'))).KoaInstrumentation(c),
  'lru-memoizer': (c) => new (req<typeof import('@opentelemetry/instrumentation-lru-memoizer')>(require('@opentelemetry/instrumentation-lru-memoizer'))).LruMemoizerInstrumentation(c),
  'memcached': (c) => new (req<typeof import('@opentelemetry/instrumentation-memcached')>(require('@opentelemetry/instrumentation-memcached'))).MemcachedInstrumentation(c),
  'mongodb': (c) => new (req<typeof import('@opentelemetry/instrumentation-mongodb')>(require('@opentelemetry/instrumentation-mongodb'))).MongoDBInstrumentation(c),
  'mongoose': (c) => new (req<typeof import('@opentelemetry/instrumentation-mongoose')>(require('@opentelemetry/instrumentation-mongoose'))).MongooseInstrumentation(c),
  'mysql': (c) => new (req<typeof import('@opentelemetry/instrumentation-mysql')>(require('@opentelemetry/instrumentation-mysql'))).MySQLInstrumentation(c),
  'mysql2': (c) => new (req<typeof import('@opentelemetry/instrumentation-mysql2')>(require('@opentelemetry/instrumentation-mysql2'))).MySQL2Instrumentation(c),
  'nestjs-core': (c) => new (req<typeof import('@opentelemetry/instrumentation-nestjs-core')>(require('@opentelemetry/instrumentation-nestjs-core'))).NestInstrumentation(c),
  'net': (c) => new (req<typeof import('@opentelemetry/instrumentation-net')>(require('@opentelemetry/instrumentation-net'))).NetInstrumentation(c),
  'openai': (c) => new (req<typeof import('@opentelemetry/instrumentation-openai')>(require('@opentelemetry/instrumentation-openai'))).OpenAIInstrumentation(c),
  'oracledb': (c) => new (req<typeof import('@opentelemetry/instrumentation-oracledb')>(require('@opentelemetry/instrumentation-oracledb'))).OracleInstrumentation(c),
  'pg': (c) => new (req<typeof import('@opentelemetry/instrumentation-pg')>(require('@opentelemetry/instrumentation-pg'))).PgInstrumentation(c),
  'pino': (c) => new (req<typeof import('@opentelemetry/instrumentation-pino')>(require('@opentelemetry/instrumentation-pino'))).PinoInstrumentation(c),
  'redis': (c) => new (req<typeof import('@opentelemetry/instrumentation-redis')>(require('@opentelemetry/instrumentation-redis'))).RedisInstrumentation(c),
  'restify': (c) => new (req<typeof import('@opentelemetry/instrumentation-restify')>(require('@opentelemetry/instrumentation-restify'))).RestifyInstrumentation(c),
  'router': (c) => new (req<typeof import('@opentelemetry/instrumentation-router')>(require('@opentelemetry/instrumentation-router'))).RouterInstrumentation(c),
  'runtime-node': (c) => new (req<typeof import('@opentelemetry/instrumentation-runtime-node')>(require('@opentelemetry/instrumentation-runtime-node'))).RuntimeNodeInstrumentation(c),
  'socket.io': (c) => new (req<typeof import('@opentelemetry/instrumentation-socket.io')>(require('@opentelemetry/instrumentation-socket.io'))).SocketIoInstrumentation(c),
  'tedious': (c) => new (req<typeof import('@opentelemetry/instrumentation-tedious')>(require('@opentelemetry/instrumentation-tedious'))).TediousInstrumentation(c),
  'undici': (c) => new (req<typeof import('@opentelemetry/instrumentation-undici')>(require('@opentelemetry/instrumentation-undici'))).UndiciInstrumentation(c),
  'winston': (c) => new (req<typeof import('@opentelemetry/instrumentation-winston')>(require('@opentelemetry/instrumentation-winston'))).WinstonInstrumentation(c),
};

/** Noisy, special-purpose or redundant (router: express 5 is covered by express) instrumentations that are off unless named in OTEL_NODE_ENABLED_INSTRUMENTATIONS. */
export const OFF_BY_DEFAULT: readonly string[] = ['fs', 'dns', 'net', 'cucumber', 'aws-lambda', 'router'];
