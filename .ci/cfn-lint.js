// Validates a CloudFormation template with the npm package cfn-lint (pinned in .ci/install-test-tools.sh).
// Its bundled resource specification dates from 2018, so it is first extended with the resource types and
// properties that the template uses and that came later (infra/cfn-lint-spec-additions.json, in the shape of the
// CloudFormation resource specification). Usage: node .ci/cfn-lint.js <template> <additions.json>
const path = require('path');

const modules = path.join(__dirname, 'tools', 'node_modules');
const resourcesSpec = require(path.join(modules, 'cfn-lint', 'lib', 'resourcesSpec'));
const api = require(path.join(modules, 'cfn-lint', 'lib', 'api'));

const [template, additions] = process.argv.slice(2);
resourcesSpec.extendSpecification(require(path.resolve(additions)));
const result = api.validateFile(path.resolve(template), {});
for (const level of ['crit', 'warn', 'info']) {
  for (const error of result.errors[level]) {
    console.log(`${level}: ${error.resource}: ${error.message}`);
  }
}
console.log(result.templateValid ? `${template}: valid` : `${template}: invalid`);
process.exit(result.templateValid ? 0 : 1);
