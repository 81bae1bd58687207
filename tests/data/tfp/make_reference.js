#!/usr/bin/env node
// Builds the reference figures in this folder from TensorFlow Playground's own engine.
//
//   node make_reference.js SCRATCH_DIR [REFERENCE_DIR]
//
// SCRATCH_DIR must hold node_modules with typescript, seedrandom@2.4.3 and d3@3.5.17.
// REFERENCE_DIR (default ../../../../shared/reference/tensorflow-playground) holds nn.ts,
// dataset.ts and state.ts, which are compiled there unchanged. This script then replays the
// page's start-up order for each link and writes one JSON file per link next to itself.
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const scratch = path.resolve(process.argv[2] || "/tmp/tfpref");
const refDir = path.resolve(
  process.argv[3] || path.join(__dirname, "../../../../shared/reference/tensorflow-playground"),
);
const build = path.join(scratch, "build");
fs.mkdirSync(build, { recursive: true });
for (const f of ["nn.ts", "dataset.ts", "state.ts"]) {
  fs.copyFileSync(path.join(refDir, f), path.join(build, f));
}
try {
  execFileSync(
    path.join(scratch, "node_modules/.bin/tsc"),
    ["--module", "commonjs", "--target", "es5", "--skipLibCheck", "nn.ts", "dataset.ts", "state.ts"],
    { cwd: build, stdio: "pipe" },
  );
} catch (e) {
  // Type errors only (Math.seedrandom, d3 typings): tsc still emits the JavaScript.
}
module.paths.unshift(path.join(scratch, "node_modules"));
Math.seedrandom = require(path.join(scratch, "node_modules/seedrandom"));
global.window = { location: { hash: "" } };
const nn = require(path.join(build, "nn.js"));
const dataset = require(path.join(build, "dataset.js"));
const stateMod = require(path.join(build, "state.js"));

const EPOCHS = 200;
const NUM_SAMPLES = { classification: 500, regression: 1200 };
// The page's input features, in the page's order.
const FEATURES = [
  ["x", (x, y) => x],
  ["y", (x, y) => y],
  ["xSquared", (x, y) => x * x],
  ["ySquared", (x, y) => y * y],
  ["xTimesY", (x, y) => x * y],
  ["sinX", (x, y) => Math.sin(x)],
  ["sinY", (x, y) => Math.sin(y)],
];

const LINKS = {
  default_circle:
    "activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03&" +
    "regularizationRate=0&noise=0&networkShape=4,2&seed=0.54321&showTestData=false&" +
    "discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false&" +
    "ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false&" +
    "problem=classification&initZero=false&hideText=false",
  seed_only: "seed=abc",
  xor_relu_l1_batch7:
    "activation=relu&regularization=L1&regularizationRate=0.001&batchSize=7&dataset=xor&" +
    "learningRate=0.03&noise=10&networkShape=8,8,8&seed=0.11111&x=true&y=true&xTimesY=true",
  gauss_sigmoid_l2_nohidden:
    "activation=sigmoid&regularization=L2&regularizationRate=0.01&batchSize=1&dataset=gauss&" +
    "learningRate=0.03&noise=25&networkShape=&seed=0.22222",
  spiral_tanh_six_all_features:
    "activation=tanh&batchSize=30&dataset=spiral&learningRate=0.01&noise=5&" +
    "networkShape=8,8,8,8,8,8&seed=0.33333&percTrainData=70&x=true&y=true&xSquared=true&" +
    "ySquared=true&xTimesY=true&sinX=true&sinY=true",
  spiral_relu_six_l1_batch13:
    "activation=relu&regularization=L1&regularizationRate=0.003&batchSize=13&dataset=spiral&" +
    "learningRate=0.01&noise=0&networkShape=8,8,8,8,8,8&seed=spiral-relu&sinX=true&sinY=true",
  spiral_strong_l1:
    "dataset=spiral&regularization=L1&regularizationRate=0.3&learningRate=0.1&" +
    "networkShape=6,4&seed=0.44444",
  spiral_sigmoid_three:
    "activation=sigmoid&batchSize=10&dataset=spiral&learningRate=0.3&networkShape=5,4,3&" +
    "seed=0.55555&xSquared=true&ySquared=true",
  circle_linear_l1_squares:
    "activation=linear&regularization=L1&regularizationRate=0.03&batchSize=20&" +
    "dataset=circle&learningRate=0.01&networkShape=3&seed=0.66666&x=false&y=false&" +
    "xSquared=true&ySquared=true",
  circle_relu_l1_sines:
    "activation=relu&regularization=L1&regularizationRate=0.01&batchSize=10&dataset=circle&" +
    "learningRate=0.1&networkShape=4,2&seed=0.77777&sinX=true&sinY=true&noise=20",
  circle_init_zero: "dataset=circle&initZero=true&seed=0.88888&networkShape=3,3",
  xor_sigmoid_noise50_perc90:
    "activation=sigmoid&batchSize=5&dataset=xor&learningRate=0.1&noise=50&" +
    "networkShape=4,4&seed=0.99999&percTrainData=90",
  xor_tanh_five_l2_batch11:
    "activation=tanh&regularization=L2&regularizationRate=0.03&batchSize=11&dataset=xor&" +
    "learningRate=0.03&networkShape=6,5,4,3,2&seed=TFP-ref_2026&xTimesY=true",
  gauss_relu_four_l2_perc10:
    "activation=relu&regularization=L2&regularizationRate=0.003&batchSize=3&dataset=gauss&" +
    "learningRate=0.03&networkShape=4,4,4,4&seed=0.12121&percTrainData=10&noise=40",
  gauss_batch_over_half:
    "dataset=gauss&batchSize=40&percTrainData=10&networkShape=2&seed=0.13131",
  plane_linear:
    "problem=regression&regDataset=reg-plane&activation=linear&batchSize=10&" +
    "learningRate=0.01&networkShape=2&seed=0.14141",
  plane_relu_l1_perc30:
    "problem=regression&regDataset=reg-plane&activation=relu&regularization=L1&" +
    "regularizationRate=0.01&batchSize=25&learningRate=0.01&networkShape=4,3,2&" +
    "seed=0.15151&percTrainData=30&noise=30",
  reg_gauss_tanh_l2_batch17:
    "problem=regression&regDataset=reg-gauss&activation=tanh&regularization=L2&" +
    "regularizationRate=0.001&batchSize=17&learningRate=0.03&networkShape=5,3&" +
    "seed=0.16161&percTrainData=60&noise=15",
  reg_gauss_relu_six:
    "problem=regression&regDataset=reg-gauss&activation=relu&batchSize=30&" +
    "learningRate=0.01&networkShape=8,8,8,8,8,8&seed=0.17171&xSquared=true&ySquared=true",
  reg_gauss_linear_nohidden_sines:
    "problem=regression&regDataset=reg-gauss&activation=linear&batchSize=1&" +
    "learningRate=0.003&networkShape=&seed=0.18181&sinX=true&sinY=true",
  reg_plane_sigmoid_l1:
    "problem=regression&regDataset=reg-plane&activation=sigmoid&regularization=L1&" +
    "regularizationRate=0.001&batchSize=8&learningRate=0.1&networkShape=1&seed=0.19191&" +
    "percTrainData=80",
  reg_gauss_linear_five_narrow:
    "activation=linear&regularization=none&regularizationRate=10&batchSize=4&learning" +
    "Rate=0.01&noise=50&networkShape=1,7,1,4,1&seed=0.55666&percTrainData=30&problem=" +
    "regression&regDataset=reg-gauss&x=true&y=true&xSquared=true&ySquared=false&xTime" +
    "sY=true&sinX=false&sinY=false",
  spiral_sigmoid_five_l1_rate3:
    "activation=sigmoid&regularization=L1&regularizationRate=3&batchSize=14&learningR" +
    "ate=0.01&noise=0&networkShape=6,8,7,3,3&seed=0.52351&percTrainData=10&dataset=sp" +
    "iral&x=true&y=true&xSquared=true&ySquared=true&xTimesY=true&sinX=true&sinY=true",
  spiral_sigmoid_six_batch2_one_feature:
    "activation=sigmoid&regularization=L1&regularizationRate=0.003&batchSize=2&learni" +
    "ngRate=0.003&noise=50&networkShape=7,5,4,5,1,8&seed=0.18535&percTrainData=50&dat" +
    "aset=spiral&x=false&y=false&xSquared=true&ySquared=false&xTimesY=false&sinX=fals" +
    "e&sinY=false",
  circle_sigmoid_l2_four_batch9:
    "activation=sigmoid&regularization=L2&regularizationRate=0.01&batchSize=9&dataset=cir" +
    "cle&learningRate=0.03&networkShape=5,4,3,2&seed=0.20202&noise=10",
  gauss_linear_l1_one_batch25:
    "activation=linear&regularization=L1&regularizationRate=0.003&batchSize=25&dataset=ga" +
    "uss&learningRate=0.01&networkShape=3&seed=0.21212&noise=30",
  xor_linear_nohidden_l2_batch6:
    "activation=linear&regularization=L2&regularizationRate=0.001&batchSize=6&dataset=xor" +
    "&learningRate=0.03&networkShape=&seed=0.23232&xTimesY=true",
  spiral_relu_l2_four_batch16:
    "activation=relu&regularization=L2&regularizationRate=0.001&batchSize=16&dataset=spir" +
    "al&learningRate=0.03&networkShape=8,6,4,2&seed=0.24242&sinX=true&sinY=true&percTrain" +
    "Data=40",
  reg_plane_tanh_l2_four_batch12:
    "problem=regression&regDataset=reg-plane&activation=tanh&regularization=L2&regulariza" +
    "tionRate=0.003&batchSize=12&learningRate=0.03&networkShape=4,4,3,2&seed=0.25252&nois" +
    "e=20",
  reg_gauss_sigmoid_l1_three_batch11:
    "problem=regression&regDataset=reg-gauss&activation=sigmoid&regularization=L1&regular" +
    "izationRate=0.001&batchSize=11&learningRate=0.1&networkShape=6,4,2&seed=0.26262&perc" +
    "TrainData=70",
  reg_plane_nohidden_l2_batch1:
    "problem=regression&regDataset=reg-plane&regularization=L2&regularizationRate=0.01&ba" +
    "tchSize=1&learningRate=0.003&networkShape=&seed=0.27272",
  xor_relu_six_l2_batch20:
    "activation=relu&regularization=L2&regularizationRate=0.003&batchSize=20&dataset=xor&" +
    "learningRate=0.01&networkShape=8,8,8,8,8,8&seed=0.28282&noise=20&percTrainData=60",
  gauss_tanh_six_l1_batch30:
    "activation=tanh&regularization=L1&regularizationRate=0.001&batchSize=30&dataset=gaus" +
    "s&learningRate=0.01&networkShape=3,3,3,3,3,3&seed=0.29292",
};

function replay(hash, withButtons) {
  window.location.hash = "#" + hash;
  // state.ts parses the hash and seeds Math.random.
  const state = stateMod.State.deserializeState();
  const problem = state.problem === stateMod.Problem.REGRESSION ? "regression" : "classification";
  // The thumbnails draw from the stream before the data reseed it.
  const thumbs = problem === "classification" ? stateMod.datasets : stateMod.regDatasets;
  for (const name in thumbs) thumbs[name](200, 0);
  // generateData(true): reseed, generate, shuffle, split.
  Math.seedrandom(state.seed);
  const generator = problem === "classification" ? state.dataset : state.regDataset;
  const data = generator(NUM_SAMPLES[problem], state.noise / 100);
  dataset.shuffle(data);
  const split = Math.floor(data.length * state.percTrainData / 100);
  const train = data.slice(0, split);
  const test = data.slice(split);
  // reset(true): the network, from the same stream.
  const features = FEATURES.filter(([name]) => state[name]);
  const input = (p) => features.map(([, f]) => f(p.x, p.y));
  const shape = [features.length].concat(state.networkShape).concat([1]);
  const outputActivation =
    problem === "regression" ? nn.Activations.LINEAR : nn.Activations.TANH;
  const network = nn.buildNetwork(shape, state.activation, outputActivation,
    state.regularization, features.map(([name]) => name), state.initZero);
  const params = () => ({
    weights: network.slice(1).map((layer) => layer.map((node) => node.inputLinks.map((l) => l.weight))),
    biases: network.slice(1).map((layer) => layer.map((node) => node.bias)),
    dead: network.slice(1).map((layer) => layer.map((node) => node.inputLinks.map((l) => l.isDead ? 1 : 0))),
  });
  const loss = (points) => {
    let total = 0;
    for (const p of points) {
      total += nn.Errors.SQUARE.error(nn.forwardProp(network, input(p)), p.label);
    }
    return total / points.length;
  };
  const initial = params();
  const lossTrain = [loss(train)];
  const lossTest = [loss(test)];
  // oneStep(), EPOCHS times: the stored order, an update every batchSize examples.
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    train.forEach((p, i) => {
      nn.forwardProp(network, input(p));
      nn.backProp(network, p.label, nn.Errors.SQUARE);
      if ((i + 1) % state.batchSize === 0) {
        nn.updateWeights(network, state.learningRate, state.regularizationRate);
      }
    });
    lossTrain.push(loss(train));
    lossTest.push(loss(test));
  }
  const final = params();
  const out = {};
  if (withButtons) {
    // The reset button: a new network from where the stream stands, the same data.
    const again = nn.buildNetwork(shape, state.activation, outputActivation,
      state.regularization, features.map(([name]) => name), state.initZero);
    out.reset_weights = again.slice(1).map((layer) => layer.map((node) => node.inputLinks.map((l) => l.weight)));
    // The regenerate button: a new seed from the stream, new data, the network kept.
    const seed = Math.random().toFixed(5);
    Math.seedrandom(seed);
    const more = generator(NUM_SAMPLES[problem], state.noise / 100);
    dataset.shuffle(more);
    const cut = Math.floor(more.length * state.percTrainData / 100);
    const train2 = more.slice(0, cut);
    const losses = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      train2.forEach((p, i) => {
        nn.forwardProp(again, input(p));
        nn.backProp(again, p.label, nn.Errors.SQUARE);
        if ((i + 1) % state.batchSize === 0) {
          nn.updateWeights(again, state.learningRate, state.regularizationRate);
        }
      });
      let total = 0;
      for (const p of train2) {
        total += nn.Errors.SQUARE.error(nn.forwardProp(again, input(p)), p.label);
      }
      losses.push(total / train2.length);
    }
    out.regenerate = { seed, train: train2.map((p) => [p.x, p.y, p.label]), loss_train: losses };
  }
  const key = (obj, value) => Object.keys(obj).find((k) => obj[k] === value) || null;
  return {
    link: hash,
    state: {
      problem,
      dataset: key(stateMod.datasets, state.dataset),
      regDataset: key(stateMod.regDatasets, state.regDataset),
      activation: key(stateMod.activations, state.activation),
      regularization: key(stateMod.regularizations, state.regularization),
      learningRate: state.learningRate,
      regularizationRate: state.regularizationRate,
      batchSize: state.batchSize,
      noise: state.noise,
      percTrainData: state.percTrainData,
      networkShape: state.networkShape,
      seed: state.seed,
      initZero: state.initZero,
      features: features.map(([name]) => name),
    },
    train: train.map((p) => [p.x, p.y, p.label]),
    test: test.map((p) => [p.x, p.y, p.label]),
    initial: { weights: initial.weights, biases: initial.biases },
    final,
    loss_train: lossTrain,
    loss_test: lossTest,
    buttons: withButtons ? out : undefined,
  };
}

for (const [name, hash] of Object.entries(LINKS)) {
  const out = replay(hash, name === "default_circle");
  fs.writeFileSync(path.join(__dirname, name + ".json"), JSON.stringify(out) + "\n");
}
process.stdout.write(`${Object.keys(LINKS).length} links, ${EPOCHS} epochs each\n`);
