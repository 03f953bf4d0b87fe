/**
 * The netintent language services: one `createNetintentServices`, used by the language
 * server, the CLI and the tests alike.
 */
import { inject, type Module } from 'langium';
import { createDefaultModule, createDefaultSharedModule, type DefaultSharedModuleContext, type LangiumServices, type LangiumSharedServices, type PartialLangiumServices } from 'langium/lsp';
import { NetintentGeneratedModule, NetintentGeneratedSharedModule } from './generated/module.js';
import { IntentPrograms } from './intent-programs.js';
import { NetintentDocumentValidator, NetintentLinker } from './netintent-linking.js';
import { NetintentScopeProvider } from './netintent-scope.js';
import { NetintentParserErrorMessages } from './parser-messages.js';
import { NetintentValidator, registerValidationChecks } from './netintent-validator.js';
import { TwinWorkspace } from './twin-workspace.js';

export interface NetintentSharedAddedServices {
    twin: {
        TwinWorkspace: TwinWorkspace;
    };
}

export type NetintentSharedServices = LangiumSharedServices & NetintentSharedAddedServices;

export interface NetintentAddedServices {
    validation: {
        NetintentValidator: NetintentValidator;
    };
    intent: {
        IntentPrograms: IntentPrograms;
    };
}

export type NetintentServices = LangiumServices & NetintentAddedServices & { shared: NetintentSharedServices };

export const NetintentSharedModule: Module<NetintentSharedServices, NetintentSharedAddedServices> = {
    twin: {
        TwinWorkspace: shared => new TwinWorkspace(shared)
    }
};

export const NetintentModule: Module<NetintentServices, PartialLangiumServices & NetintentAddedServices> = {
    parser: {
        ParserErrorMessageProvider: services => new NetintentParserErrorMessages(services)
    },
    references: {
        ScopeProvider: services => new NetintentScopeProvider(services),
        Linker: services => new NetintentLinker(services)
    },
    validation: {
        NetintentValidator: services => new NetintentValidator(services),
        DocumentValidator: services => new NetintentDocumentValidator(services)
    },
    intent: {
        IntentPrograms: services => new IntentPrograms(services)
    }
};

export function createNetintentServices(context: DefaultSharedModuleContext): { shared: NetintentSharedServices; Netintent: NetintentServices } {
    const shared = inject(createDefaultSharedModule(context), NetintentGeneratedSharedModule, NetintentSharedModule);
    const Netintent = inject(createDefaultModule({ shared }), NetintentGeneratedModule, NetintentModule);
    shared.ServiceRegistry.register(Netintent);
    registerValidationChecks(Netintent);
    if (!context.connection) {
        // Without a language client, nobody sends configuration: mark it as received.
        shared.workspace.ConfigurationProvider.initialized({});
    }
    return { shared, Netintent };
}
