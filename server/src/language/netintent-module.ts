/**
 * The netintent language core: parsing, scoping, linking, validation and the intent IR of each
 * twin, as the CLI and the tests use them. The language server adds its editor services on top
 * (lsp/netintent-lsp-module.ts); nothing here knows the editor.
 */
import {
    createDefaultCoreModule,
    createDefaultSharedCoreModule,
    inject,
    type DefaultSharedCoreModuleContext,
    type LangiumCoreServices,
    type LangiumSharedCoreServices,
    type Module,
    type PartialLangiumCoreServices,
    type PartialLangiumSharedCoreServices
} from 'langium';
import { NetintentGeneratedModule, NetintentGeneratedSharedModule } from './generated/module.js';
import { IntentPrograms } from './intent-programs.js';
import { NetintentDocumentValidator, NetintentLinker } from './netintent-linking.js';
import { NetintentScopeProvider } from './netintent-scope.js';
import { NetintentParserErrorMessages } from './parser-messages.js';
import { NetintentLexer, NetintentTokenBuilder } from './netintent-lexer.js';
import { createNetintentCompletionParser, createNetintentParser } from './netintent-parser.js';
import { NetintentValidator, registerValidationChecks } from './netintent-validator.js';
import { TwinWorkspace } from './twin-workspace.js';
import { withSafeFiles } from './safe-file-system.js';

export interface NetintentSharedAddedServices {
    twin: {
        TwinWorkspace: TwinWorkspace;
    };
}

export type NetintentSharedServices = LangiumSharedCoreServices & NetintentSharedAddedServices;

export interface NetintentAddedServices {
    validation: {
        NetintentValidator: NetintentValidator;
    };
    intent: {
        IntentPrograms: IntentPrograms;
    };
}

export type NetintentServices = LangiumCoreServices & NetintentAddedServices & { shared: NetintentSharedServices };

export const NetintentSharedModule: Module<
    NetintentSharedServices,
    NetintentSharedAddedServices & PartialLangiumSharedCoreServices
> = {
    twin: {
        TwinWorkspace: shared => new TwinWorkspace(shared)
    }
};

export const NetintentModule: Module<NetintentServices, PartialLangiumCoreServices & NetintentAddedServices> = {
    parser: {
        ParserErrorMessageProvider: services => new NetintentParserErrorMessages(services),
        TokenBuilder: () => new NetintentTokenBuilder(),
        Lexer: services => new NetintentLexer(services),
        LangiumParser: services => createNetintentParser(services),
        CompletionParser: services => createNetintentCompletionParser(services)
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

/** The core services, for the CLI and the tests: intent files are read through the safe file system. */
export function createNetintentServices(context: DefaultSharedCoreModuleContext): {
    shared: NetintentSharedServices;
    Netintent: NetintentServices;
} {
    const shared = inject(
        createDefaultSharedCoreModule(withSafeFiles(context)),
        NetintentGeneratedSharedModule,
        NetintentSharedModule
    );
    const Netintent = inject(createDefaultCoreModule({ shared }), NetintentGeneratedModule, NetintentModule);
    registerNetintent(shared, Netintent);
    // Without a language client, nobody sends configuration: mark it as received.
    shared.workspace.ConfigurationProvider.initialized({});
    return { shared, Netintent };
}

/** What every set of services does once made: the language registered, its checks too. */
export function registerNetintent(shared: LangiumSharedCoreServices, Netintent: NetintentServices): void {
    shared.ServiceRegistry.register(Netintent);
    registerValidationChecks(Netintent);
}
