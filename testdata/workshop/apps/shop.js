// shop.js: the order service of the crash lab (docs/workshop/lab1-crash.md).
//
// A tiny HTTP service on 127.0.0.1 prices orders (POST /checkout with a JSON order) and charges
// the customer. It sends itself a few orders and serves them, like a service under load. Run it
// with --abort-on-uncaught-exception: one bad order then kills it with a core dump.
//
//   node --abort-on-uncaught-exception shop.js typo    an order names a product that does not
//                                                      exist: a synchronous TypeError in lineTotal
//   node --abort-on-uncaught-exception shop.js limit   an order goes over the customer's credit
//                                                      limit: charge() rejects with a PaymentError
//                                                      that nobody handles (unhandled rejection)
'use strict';

const http = require('http');

const CATALOG = {
  apple: { name: 'Apple', price: 30 },
  pear: { name: 'Pear', price: 45 },
  plum: { name: 'Plum', price: 25 },
};

const CUSTOMERS = {
  ada: { name: 'Ada', limit: 5000 },
  bob: { name: 'Bob', limit: 800 },
};

class PaymentError extends Error {
  constructor(message, order, total) {
    super(message);
    this.name = 'PaymentError';
    this.order = order;
    this.total = total;
  }
}

function lineTotal(line) {
  const product = CATALOG[line.sku];
  return product.price * line.qty;
}

function orderTotal(order) {
  return order.lines.reduce((sum, line) => sum + lineTotal(line), 0);
}

// The payment gateway answers later, as a real one would.
function authorize(customer, total) {
  return new Promise((resolve) => setImmediate(() => resolve(total <= customer.limit)));
}

async function charge(order, total) {
  const customer = CUSTOMERS[order.customer];
  const approved = await authorize(customer, total);
  if (!approved) {
    throw new PaymentError(`payment declined: ${total} is over the limit of ${customer.name}`, order, total);
  }
  return { order: order.id, charged: total };
}

async function checkout(order, total, res) {
  const receipt = await charge(order, total);
  res.end(JSON.stringify(receipt));
}

function handleCheckout(req, res) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const order = JSON.parse(body);
    const total = orderTotal(order);
    checkout(order, total, res); // BUG: the promise is not awaited and nothing catches its rejection
  });
}

const server = http.createServer(handleCheckout);

const GOOD = [
  { id: 101, customer: 'ada', lines: [{ sku: 'apple', qty: 3 }, { sku: 'pear', qty: 1 }] },
  { id: 102, customer: 'bob', lines: [{ sku: 'plum', qty: 4 }] },
  { id: 103, customer: 'ada', lines: [{ sku: 'pear', qty: 10 }, { sku: 'plum', qty: 2 }] },
];
const BAD = {
  typo: { id: 104, customer: 'ada', lines: [{ sku: 'apple', qty: 2 }, { sku: 'banana', qty: 6 }] },
  limit: { id: 105, customer: 'bob', lines: [{ sku: 'pear', qty: 12 }, { sku: 'apple', qty: 9 }] },
};

function post(order) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST',
      path: '/checkout', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(JSON.stringify(order));
  });
}

const bad = BAD[process.argv[2]];
if (!bad) {
  console.error('usage: node --abort-on-uncaught-exception shop.js typo|limit');
  process.exit(2);
}

server.listen(0, '127.0.0.1', async () => {
  for (const order of GOOD) console.log('receipt', await post(order));
  console.log('sending order', bad.id);
  post(bad);
});
