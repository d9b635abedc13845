"""A Flask service on Werkzeug's threaded WSGI server (loopback, PORT from the environment) that calls another
HTTP service (django_app.py) with requests and with urllib3, PostgreSQL with psycopg2 and with asyncpg, RabbitMQ
with pika
(publish, basic_get, and the consume() generator) and, with aiohttp, the HTTP service again, all inside one
request (GET /work/<order_id>). No OpenTelemetry import: it is instrumented only through PYTHONPATH and the
OTEL_* variables. Python 3.9 syntax."""

import asyncio
import os
import uuid

import aiohttp
import asyncpg
import pika
import psycopg2
import requests
import urllib3
from flask import Flask, jsonify

DATABASE_URL = os.environ['DATABASE_URL']
AMQP_URL = os.environ.get('AMQP_URL')
DOWNSTREAM_URL = os.environ['DOWNSTREAM_URL']

app = Flask(__name__)
pool = urllib3.PoolManager()


@app.route('/health')
def health():
    return 'ok'


def with_psycopg2(order_id):
    conn = psycopg2.connect(DATABASE_URL)
    try:
        with conn.cursor() as cur:
            cur.execute('CREATE TABLE IF NOT EXISTS flask_orders (id integer PRIMARY KEY, item text NOT NULL)')
            cur.execute(
                'INSERT INTO flask_orders (id, item) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING',
                (order_id, 'secret-item-%d' % order_id),
            )
            cur.execute('SELECT item FROM flask_orders WHERE id = %s', (order_id,))
            item = cur.fetchone()[0]
        conn.commit()
        return item
    finally:
        conn.close()


async def with_asyncpg(order_id):
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        return await conn.fetchval('SELECT $1::int + 1000', order_id)
    finally:
        await conn.close()


async def with_aiohttp(order_id):
    async with aiohttp.ClientSession() as session:
        async with session.get('%s/echo/aiohttp-%d' % (DOWNSTREAM_URL, order_id)) as r:
            return (await r.json())['word']


def with_pika(order_id):
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        queue = 'flask-orders-' + uuid.uuid4().hex[:8]
        channel.queue_declare(queue=queue, auto_delete=True)
        channel.basic_publish(exchange='', routing_key=queue, body=('get-%d' % order_id).encode())
        got = None
        for _ in range(100):
            method, _props, body = channel.basic_get(queue=queue, auto_ack=True)
            if method is not None:
                got = body.decode()
                break
            connection.sleep(0.05)
        channel.basic_publish(exchange='', routing_key=queue, body=('consume-%d' % order_id).encode())
        consumed = None
        for _method, _props, body in channel.consume(queue, auto_ack=True, inactivity_timeout=10):
            consumed = body.decode() if body is not None else None
            break
        channel.cancel()
        return [got, consumed]
    finally:
        connection.close()


@app.route('/work/<int:order_id>')
def work(order_id):
    result = {
        'requests': requests.get('%s/echo/requests-%d' % (DOWNSTREAM_URL, order_id), timeout=20).json()['word'],
        'urllib3': pool.request('GET', '%s/echo/urllib3-%d' % (DOWNSTREAM_URL, order_id), timeout=20).json()['word'],
        'psycopg2': with_psycopg2(order_id),
        'asyncpg': asyncio.run(with_asyncpg(order_id)),
        'aiohttp': asyncio.run(with_aiohttp(order_id)),
    }
    if AMQP_URL:
        result['pika'] = with_pika(order_id)
    return jsonify(result)


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(os.environ['PORT']), threaded=True)
